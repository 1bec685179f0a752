"""The access log (查询留痕): who looked up whom, and the lookups the configured rules flag.

Both read the audit's access store (services.audit.archive.ACCESS), kept for the configured retention."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.audit.api.deps import AsOf, AuditReader, now, utc
from services.audit.bootstrap import AccessStore
from services.audit.config import audit_settings
from services.audit.domain.access_rules import AccessRules, flags
from services.audit.domain.history import entry
from services.kernel.web.exports import FILE_RESPONSES, Format, answer
from services.kernel.web.paging import (PAGE_DEFAULT, CursorParam, Limit, Segment, Worklist, in_order,
                                       offset_page, one_each)

router = APIRouter(prefix="/v1/audit/access", tags=["access log 查询留痕"])


def scope_filter(caller) -> dict[str, Any]:
    """Reads of records in the caller's jurisdiction, and reads made by its own people."""
    if caller.scope.prefix is None:
        return {}
    prefix = {"$regex": "^" + re.escape(caller.scope.prefix)}
    return {"$or": [{"division_code": prefix}, {"actor.organisation_code": prefix}]}


def view(document: dict[str, Any]) -> dict[str, Any]:
    line = entry(document, [])
    payload = document.get("payload", {})
    return {key: line[key] for key in ("event_id", "recorded_at", "actor", "channel", "correlation_id",
                                       "division_code")} | {
        key: payload.get(key) for key in ("context", "record_type", "record_id", "route", "method", "lookup",
                                          "result_count")}


@router.get("", summary="查询留痕: reads of records by person (record_id), by reader (actor_id) and by time, newest first "
                         "(paged with a cursor, or the whole list as csv/xlsx)", responses=FILE_RESPONSES)
async def access_log(
    caller: AuditReader, store: AccessStore,
    record_id: Annotated[str | None, Query(max_length=100, description="被查询记录 (e.g. a person id)")] = None,
    actor_id: Annotated[str | None, Query(max_length=100, description="查询人")] = None,
    record_type: Annotated[str | None, Query(max_length=40, examples=["person"])] = None,
    since: AsOf = None, until: AsOf = None,
    cursor: CursorParam = None, limit: Limit = PAGE_DEFAULT, format: Format = "json",
    page: Annotated[int | None, Query(ge=1, le=100000, description="old paging (offset): prefer cursor")] = None,
    page_size: Annotated[int | None, Query(ge=1, le=500, description="old paging (offset): prefer limit")] = None,
) -> dict:
    clauses: list[dict[str, Any]] = []
    if scope := scope_filter(caller):
        clauses.append(scope)
    if record_id:
        clauses.append({"payload.record_id": record_id})
    if actor_id:
        clauses.append({"actor.id": actor_id})
    if record_type:
        clauses.append({"payload.record_type": record_type})
    window = {**({"$gte": utc(since)} if since else {}), **({"$lte": utc(until)} if until else {})}
    if window:
        clauses.append({"recorded_at": window})
    query = {"$and": clauses} if clauses else {}
    worklist = Worklist.of(Segment(store, query, one_each(view), sort=(("recorded_at", -1), ("_id", -1))))
    if page is not None or page_size is not None:
        return await offset_page(worklist, page or 1, page_size or 50)
    return await answer(worklist, format, cursor, limit, caller, "access-log")


@router.get("/flags", summary="可疑查询: readers flagged by the rules (many persons outside their jurisdiction, at night; "
                               "paged, or the whole list as csv/xlsx)", responses=FILE_RESPONSES)
async def access_flags(
    caller: AuditReader, store: AccessStore, as_of: AsOf = None,
    window_hours: Annotated[int | None, Query(ge=1, le=24 * 92, description="default YBSS_AUDIT_ACCESS_WINDOW_HOURS")] = None,
    outside_persons: Annotated[int | None, Query(ge=1, le=10**6, description="default YBSS_AUDIT_ACCESS_OUTSIDE_PERSONS")] = None,
    night_reads: Annotated[int | None, Query(ge=1, le=10**6, description="default YBSS_AUDIT_ACCESS_NIGHT_READS")] = None,
    cursor: CursorParam = None, limit: Limit = PAGE_DEFAULT, format: Format = "json",
) -> dict:
    """The flags in rank order (rule, then most persons first), ``rank`` their place; ``flags`` is the page, as
    ``items``. A later page is of the same list when asked with the first page's ``as_of``."""
    settings = audit_settings()
    rules = AccessRules(
        window_hours=window_hours or settings.access_window_hours,
        outside_persons=outside_persons or settings.access_outside_persons,
        night_reads=night_reads or settings.access_night_reads, night_start_hour=settings.night_start_hour,
        night_end_hour=settings.night_end_hour, utc_offset_hours=settings.utc_offset_hours,
        person_record_types=tuple(settings.person_record_types))
    moment = utc(as_of) or now()
    query: dict[str, Any] = {"recorded_at": {"$gt": moment - timedelta(hours=rules.window_hours), "$lte": moment}}
    if scope := scope_filter(caller):
        query = {"$and": [query, scope]}
    accesses = [document async for document in store.find(query)]
    worklist = Worklist((in_order(flags(accesses, rules, moment)),),
                        extra={"as_of": moment.isoformat(), "rules": rules.__dict__})
    found = await answer(worklist, format, cursor, limit, caller, "access-flags")
    return {**found, "flags": found["items"]} if isinstance(found, dict) else found
