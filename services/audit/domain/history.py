"""A record's change history (变更历史) and its state at a point (时间回溯), from its archived events."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from contracts.events import upcast
from services.audit.domain.fold import diff, evolve

NOTE_FIELDS = ("reason", "remark")  #: payload fields that explain a change (原因、备注), shown with the entry


def entry(document: dict[str, Any], changes: list[dict[str, Any]]) -> dict[str, Any]:
    """One history line: what happened, when, who, in which conversation, and what it changed."""
    actor = document["actor"]
    payload = document.get("payload", {})
    return {
        "event_id": document["_id"], "version": document["version"], "event_type": document["event_type"],
        "occurred_at": _iso(document["occurred_at"]), "recorded_at": _iso(document["recorded_at"]),
        "actor": {"id": actor["id"], "role": actor["role"], "organisation_code": actor["organisation_code"]},
        "channel": actor.get("channel"), "correlation_id": document["correlation_id"],
        "causation_id": document.get("causation_id"), "division_code": document.get("division_code"),
        **{name: payload[name] for name in NOTE_FIELDS if payload.get(name)},
        "changes": changes,
    }


def payload_of(document: dict[str, Any]) -> dict[str, Any]:
    """The archived payload in the newest schema: an upcaster registered after it was archived still applies."""
    return upcast(document["event_type"], document.get("schema_version", 1), document.get("payload", {}))[1]


def history(documents: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every change of one stream in version order, each with its field-level diff."""
    state: dict[str, Any] = {}
    entries = []
    for document in documents:
        new = evolve(state, document["event_type"], payload_of(document))
        entries.append(entry(document, diff(state, new)))
        state = new
    return entries


def state_of(documents: Iterable[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    """(last version, folded state) of the events given (already cut at the wanted time or version)."""
    state: dict[str, Any] = {}
    version = 0
    for document in documents:
        state = evolve(state, document["event_type"], payload_of(document))
        version = document["version"]
    return version, state


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
