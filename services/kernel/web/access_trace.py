"""What a read asked and what it got, for the access log (查询留痕): lists and searches, refusals and misses.

A single-record read leaves its record (``Caller.accessed``). Beyond that, issue 16 asks for a trace of:

- every **list or search** (a category, a deadline list, the unit list, the watch list, alerts, the audit log):
  ``asked(caller)`` is what was asked (the query parameters, personal values masked as the caller's own role
  sees them, contracts.personal), ``returned(documents)`` the persons that came back with their divisions;
- every **refused (403) or not-found (404)** attempt of an authenticated caller: ``trace_refusal`` is called by
  the kernel's error handlers, so no route can forget it; the record asked for comes from the route's path
  parameters and, for a 403 of jurisdiction, its division (so the audit's "many persons outside the
  jurisdiction" rule counts probes that were refused, not only reads that succeeded).
"""

from __future__ import annotations

from typing import Any, Iterable

import structlog
from fastapi import Request

from contracts.access import MAX_RECORDS_NAMED, AccessedRecord
from contracts.personal import PersonalKind, classify
from services.kernel.base.masking import mask_value, visibility

log = structlog.get_logger("access")

MAX_KEYS = 20
MAX_VALUE_LENGTH = 100
#: query keys holding a personal value that contracts.personal does not name as a field of a record
QUERY_KINDS = {"id_number_suffix": PersonalKind.ID_NUMBER, "document_number_suffix": PersonalKind.ID_NUMBER}


def asked(caller, exclude: Iterable[str] = ()) -> dict[str, str]:
    """The request's query parameters as the caller sent them, each personal value masked as the caller's role
    may see it (repeated keys joined with commas, long values cut)."""
    request = getattr(caller, "request", None)
    if request is None:
        return {}
    seen = visibility(caller.actor.role, True)
    skipped = set(exclude)
    logged: dict[str, str] = {}
    for key in dict.fromkeys(request.query_params.keys()):
        if key in skipped or len(logged) >= MAX_KEYS:
            continue
        value = ",".join(request.query_params.getlist(key))[:MAX_VALUE_LENGTH]
        kind = QUERY_KINDS.get(key) or classify(key, on_person=True)
        logged[key[:40]] = mask_value(kind, value, seen) if kind is not None else value
    return logged


def returned(documents: Iterable[dict[str, Any]], id_field: str = "_id",
             division_field: str = "division_code") -> list[AccessedRecord]:
    """The persons a list returned, named with their divisions (the first ``MAX_RECORDS_NAMED``)."""
    named = []
    for document in documents:
        if len(named) >= MAX_RECORDS_NAMED:
            break
        record_id = document.get(id_field)
        if record_id:
            named.append(AccessedRecord(record_id=str(record_id)[:100],
                                        division_code=(document.get(division_field) or None)))
    return named


def _record_asked(request: Request) -> tuple[str, str | None]:
    """(record type, record id) from the route: ``/v1/persons/{person_id}`` → ("person", its value)."""
    params = request.path_params or {}
    for name, value in params.items():
        if name.endswith("_id"):
            return name[:-3], str(value)[:100]
    route = getattr(request.scope.get("route"), "path", request.url.path)
    segments = [part for part in route.split("/") if part and not part.startswith("{") and part != "v1"]
    resource = segments[0] if segments else "route"
    return resource, (str(next(iter(params.values())))[:100] if params else None)


async def trace_refusal(request: Request, outcome: str, record_type: str | None = None,
                        record_id: str | None = None, division_code: str | None = None) -> None:
    """Leave a refused / not_found access-log event for the authenticated caller of ``request`` (none when the
    caller was never known: a bad token is refused before anyone is). Never fails the answer it traces."""
    caller = getattr(request.state, "caller", None)
    if caller is None:
        return
    asked_type, asked_id = _record_asked(request)
    try:
        await caller.accessed(record_type or asked_type, record_id or asked_id, division_code,
                              lookup=asked(caller), result_count=0, outcome=outcome)
    except Exception as error:  # noqa: BLE001 - the refusal is answered whatever happens to its trace
        log.warning("access trace not recorded", outcome=outcome, path=request.url.path, error=repr(error))
