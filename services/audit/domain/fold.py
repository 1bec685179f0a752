"""Fold a stream's events into its record's state, and diff two states field by field.

How an event changes a record is declared with the event in contracts/ (``DomainEvent.evolve``), so the
audit folds any context's stream without importing that context's service. An event type this code base
does not know (a newer context, a payload an upcaster has not reached) falls back to merging its payload:
the history still shows what it said.
"""

from __future__ import annotations

from typing import Any, Iterable

from pydantic import ValidationError

import contracts.access  # noqa: F401 - the access log's events
from contracts.events import UnknownEventType, event_class
from contracts.schema_export import load_contracts


load_contracts()  # every context's published events (contracts.<context>) that exist yet


def evolve(state: dict[str, Any], event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The state after one event, as the event's contract declares it."""
    try:
        event = event_class(event_type).model_validate(payload)
    except (UnknownEventType, ValidationError):
        return {**state, **payload}
    return event.evolve(dict(state))


def fold(events: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The state after every (event_type, payload) in order."""
    state: dict[str, Any] = {}
    for event_type, payload in events:
        state = evolve(state, event_type, payload)
    return state


def flatten(state: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects become dotted fields (``retired.reason``); lists stay whole values."""
    flat: dict[str, Any] = {}
    for key, value in state.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Field-level changes from ``old`` to ``new`` (字段级变更): field, old value, new value; None = absent."""
    before, after = flatten(old), flatten(new)
    return [{"field": field, "old": before.get(field), "new": after.get(field)}
            for field in sorted(before.keys() | after.keys()) if before.get(field) != after.get(field)]
