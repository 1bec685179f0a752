"""Rectification tasks (整改): which later event corrected a wrong field, and which tasks are overdue."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from services.audit.domain.fold import diff, evolve, flatten
from services.audit.domain.history import payload_of


def _time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def touches(changes: list[dict[str, Any]], field: str) -> bool:
    return any(change["field"] == field or change["field"].startswith(field + ".") for change in changes)


def correcting_event(task: dict[str, Any], documents: Iterable[dict[str, Any]]) -> tuple[dict, Any] | None:
    """The first archived event recorded after the task opened that changed its field, with the new value."""
    opened = _time(task["opened_at"])
    state: dict[str, Any] = {}
    for document in documents:
        new = evolve(state, document["event_type"], payload_of(document))
        if _time(document["recorded_at"]) > opened and touches(diff(state, new), task["field"]):
            value = new.get(task["field"], flatten(new).get(task["field"]))
            return document, value
        state = new
    return None


def is_overdue(task: dict[str, Any], as_of: datetime) -> bool:
    """Still open after its deadline (逾期)."""
    return task["status"] == "open" and _time(task["due_at"]) < as_of


def task_view(task: dict[str, Any], as_of: datetime) -> dict[str, Any]:
    return {**task, "overdue": is_overdue(task, as_of)}
