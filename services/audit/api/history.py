"""Change history (变更历史), time travel (时间回溯) and the global audit log (审计日志)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from services.audit.api.deps import Archive, AsOf, AuditReader, ParameterRuleViolation, utc
from services.audit.domain.history import entry, history, state_of
from services.audit.views.archive import current_division, log_query, stream
from services.kernel.web.access_trace import asked, returned
from services.kernel.base.errors import NotFound
from services.kernel.web.exports import FILE_RESPONSES, Format, export
from services.kernel.web.masked_responses import viewer_for
from services.kernel.web.paging import PAGE_DEFAULT, CursorParam, Limit, Segment, Worklist, offset_page

router = APIRouter(prefix="/v1/audit", tags=["audit 审计"])

StreamId = Annotated[str, Query(min_length=1, max_length=200, description="the record's stream id (记录流标识)",
                                examples=["doorplate-532503001411234567890125"])]


class ActorView(BaseModel):
    id: str = Field(examples=["PC-0001"])
    role: str = Field(examples=["police"])
    organisation_code: str = Field(examples=["532503"])


class Change(BaseModel):
    field: str = Field(description="field, dotted when nested (字段)", examples=["number"])
    old: Any = Field(default=None, description="value before (原值); null = absent", examples=["18"])
    new: Any = Field(default=None, description="value after (新值); null = removed", examples=["20"])


class HistoryEntry(BaseModel):
    event_id: str = Field(examples=["0190f5e2-8a4b-7c3d-9e1f-123456789abc"])
    version: int = Field(examples=[2])
    event_type: str = Field(examples=["DoorplateRenumbered"])
    occurred_at: str = Field(examples=["2026-10-12T08:30:00+00:00"])
    recorded_at: str = Field(examples=["2026-10-12T08:30:01+00:00"])
    actor: ActorView
    channel: str | None = Field(default=None, examples=["web"])
    correlation_id: str = Field(examples=["c0ffee00-0000-4000-8000-000000000001"])
    causation_id: str | None = None
    division_code: str | None = Field(default=None, examples=["532503001"])
    reason: str | None = Field(default=None, description="原因, where the event has one", examples=["整顿编号"])
    remark: str | None = Field(default=None, description="备注, where the event has one")
    changes: list[Change]


class History(BaseModel):
    stream_id: str = Field(examples=["doorplate-532503001411234567890125"])
    entries: list[HistoryEntry]


class RecordState(BaseModel):
    stream_id: str = Field(examples=["doorplate-532503001411234567890125"])
    version: int = Field(description="last version folded (截至版本)", examples=[1])
    state: dict[str, Any] = Field(description="the record as of that time or version (folded with each event's "
                                  "declared evolve)", examples=[{"code": "532503001411234567890125", "number": "18"}])


class LogEntry(HistoryEntry):
    stream_id: str = Field(examples=["doorplate-532503001411234567890125"])
    stream_type: str = Field(examples=["Doorplate"])


class LogPage(BaseModel):
    total: int = Field(description="every entry matching the filters", examples=[1])
    items: list[LogEntry] = Field(description="newest first, each with its field-level diff")
    next_cursor: str | None = Field(description="the next page's `cursor`; null on the last page",
                                    examples=["eyJzIjowLCJrIjpbeyIkZGF0ZSI6IjIwMjYtMTAtMTJUMDg6MzA6MDFaIn0sIjAxOTBmNWUy"
                                              "LThhNGItN2MzZC05ZTFmLTEyMzQ1Njc4OWFiYyJdLCJpIjowfQ"])
    page: int | None = Field(default=None, description="only when paged the old way (page=, page_size=)")
    page_size: int | None = Field(default=None, description="only when paged the old way (page=, page_size=)")


async def _readable_stream(archive, caller, stream_id: str, as_of: datetime | None = None,
                           version: int | None = None) -> list[dict]:
    """The stream's events (cut as asked), 404 when the archive never saw it, 403 outside the jurisdiction."""
    documents = await stream(archive, stream_id)
    if not documents:
        raise NotFound("stream", stream_id)
    division = current_division(documents)
    caller.require_within(division)
    # reading a record's past is reading the record (查询留痕), the same as its own service's read
    await caller.accessed(documents[0]["stream_type"].lower(), stream_id, division)
    if as_of is None and version is None:
        return documents
    return [d for d in documents if (as_of is None or d["recorded_at"] <= as_of)
            and (version is None or d["version"] <= version)]


@router.get("/history", response_model=History, summary="变更历史: every change of one record with field-level diffs")
async def get_history(caller: AuditReader, archive: Archive, stream_id: StreamId, as_of: AsOf = None) -> dict:
    documents = await _readable_stream(archive, caller, stream_id, utc(as_of))
    return {"stream_id": stream_id, "entries": history(documents)}


@router.get("/state", response_model=RecordState,
            summary="时间回溯: a record's state as of a time (as_of) or a version")
async def get_state(caller: AuditReader, archive: Archive, stream_id: StreamId, as_of: AsOf = None,
                    version: Annotated[int | None, Query(ge=1, le=10**9, description="fold up to this version")] = None,
                    ) -> dict:
    if as_of is not None and version is not None:
        raise ParameterRuleViolation("query", "version", "state.one_cut", "give as_of or version, not both",
                                     "as_of 与 version 只能二选一")
    documents = await _readable_stream(archive, caller, stream_id, utc(as_of), version)
    folded_version, state = state_of(documents)
    if folded_version == 0:
        raise NotFound("stream state", f"{stream_id} as of {as_of.isoformat() if as_of else version}")
    return {"stream_id": stream_id, "version": folded_version, "state": state}


@router.get("/log", response_model=LogPage, responses=FILE_RESPONSES,
            summary="审计日志: every change in the jurisdiction, filtered, newest first (paged with a cursor, or the "
                    "whole list as csv/xlsx)")
async def get_log(
    caller: AuditReader, archive: Archive,
    actor_id: Annotated[str | None, Query(max_length=100, description="操作人")] = None,
    organisation_code: Annotated[str | None, Query(max_length=20, description="操作人单位")] = None,
    entity_type: Annotated[str | None, Query(max_length=50, description="stream type, e.g. Doorplate")] = None,
    division_code: Annotated[str | None, Query(pattern=r"^\d{2,12}$", description="记录归属区划 (prefix)")] = None,
    event_type: Annotated[str | None, Query(max_length=80)] = None,
    since: AsOf = None, until: AsOf = None,
    cursor: CursorParam = None, limit: Limit = PAGE_DEFAULT, format: Format = "json",
    page: Annotated[int | None, Query(ge=1, le=100000, description="old paging (offset): prefer cursor")] = None,
    page_size: Annotated[int | None, Query(ge=1, le=500, description="old paging (offset): prefer limit")] = None,
) -> dict:
    query = log_query(actor_id, organisation_code, entity_type, division_code, event_type, utc(since), utc(until),
                      scope=caller.scope_query("division_code"))

    async def rows(documents: list[dict]) -> list[list[dict]]:
        return [[item] for item in await with_changes(archive, documents)]

    worklist = Worklist.of(Segment(archive, query, rows, sort=(("recorded_at", -1), ("_id", -1))))
    if format != "json":
        await caller.accessed("audit_log", None, lookup=asked(caller), result_count=await worklist.total())
        return await export(worklist, format, viewer_for(caller), "audit-log")
    if page is not None or page_size is not None:
        found = await offset_page(worklist, page or 1, page_size or 50)
    else:
        found = await worklist.page(cursor, limit)
    persons = [{"_id": d["stream_id"].partition("-")[2], "division_code": d.get("division_code")}
               for d in found["items"] if d.get("stream_type") == "Person"]
    await caller.accessed("audit_log", None, lookup=asked(caller), result_count=len(found["items"]),  # 查询留痕
                          records=returned({p["_id"]: p for p in persons}.values()))
    return found


async def with_changes(archive, documents: list[dict]) -> list[dict]:
    """Each log line with its field-level diff: the page's streams are folded up to the versions shown."""
    wanted: dict[str, int] = {}
    for document in documents:
        wanted[document["stream_id"]] = max(wanted.get(document["stream_id"], 0), document["version"])
    lines: dict[tuple[str, int], dict] = {}
    for stream_id, version in wanted.items():
        for line in history(await stream(archive, stream_id, version=version)):
            lines[(stream_id, line["version"])] = line
    return [{**lines.get((d["stream_id"], d["version"]), entry(d, [])), "stream_id": d["stream_id"],
             "stream_type": d["stream_type"]} for d in documents]
