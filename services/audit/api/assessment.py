"""考核 (assessment) of collectors and communities for a month, its targets (a versioned configuration) and the
collection baselines it divides by (imported from a file, each import a version)."""

from __future__ import annotations

import hashlib
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from contracts.audit import CollectionBaselinesImported
from services.audit.api.deps import Archive, AsOf, AuditReader, Configurer, now, require_started, utc
from services.audit.baseline_file import MAX_BYTES, MAX_ROWS, TooManyRows, rows_of
from services.audit.bootstrap import App, LiveFigures
from services.audit.domain.targets import LABELS, NOTICE
from services.audit.views.assessment import assessment_of
from services.audit.views.baselines import baselines_in_force, imports, target_settings, targets_in_force
from services.kernel.eventsourcing.application import Accepted
from services.kernel.web.body_limit import body_limit
from services.kernel.web.exports import FILE_RESPONSES, Format, answer
from services.kernel.web.paging import PAGE_DEFAULT, CursorParam, Limit, Worklist, in_order

router = APIRouter(prefix="/v1/audit", tags=["assessment 考核"])
Month = Annotated[str, Query(pattern=r"^(199\d|20\d\d)-(0[1-9]|1[0-2])$", description="考核月份 YYYY-MM (1990-2099)",
                             examples=["2026-12"])]
Division = Annotated[str | None, Query(pattern=r"^\d{2,24}$", description="区划 (default: the caller's)",
                                       examples=["532503001"])]
CSV, XLSX = "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TIMELINESS = {"correct": 0, "inspected": 0, "rate": None, "interval_95": None}
COLLECTOR_EXAMPLE = {
    "collector_id": "GW-0001", "records_collected": 42,
    "collected_by_type": {"doorplates": 5, "persons": 30, "houses": 5, "units": 2}, "corrections": 3,
    "registrations_with_deadline": 4, "registered_late": 1,
    "timeliness": {"correct": 3, "inspected": 4, "rate": 0.75, "interval_95": [0.300636, 0.954412]},
    "communities": ["532503001031000000000000001"],
    "accuracy": {"fields": {"correct": 9, "inspected": 10, "rate": 0.9, "interval_95": [0.59585, 0.982124]},
                 "records": {"correct": 4, "inspected": 5, "rate": 0.8, "interval_95": [0.375535, 0.963776]}},
    "rates": {"accuracy": 0.8, "timeliness": 0.75}, "attainment": 0.796, "below_target": ["accuracy", "timeliness"],
    "rank": 1, "ranks": {"accuracy": 1, "timeliness": 1}}
EXAMPLE = {"division_code": "532503001", "name": "文澜街道", "month": "2026-12",
           "as_of": "2026-12-31T15:59:59.999999+00:00",
           "targets": {"division_code": None, "version": 0, "source": "notice", "values": NOTICE},
           "total": {}, "collectors": [COLLECTOR_EXAMPLE], "communities": []}


class TargetsIn(BaseModel):
    """考核目标: rates → target in (0, 1]; a rate not given keeps the notice's."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "division_code": "532503", "targets": {"persons_collection_rate": 0.97, "accuracy": 0.96},
        "remark": "蒙自市2027年考核方案", "expected_version": 0}]})

    division_code: str = Field(pattern=r"^\d{2,12}$", description="division the targets apply to (and inside it)",
                               examples=["532503"])
    targets: dict[Annotated[str, Field(max_length=64)], float] = Field(
        max_length=20, description=f"rate → target, rates: {', '.join(f'{k} {v}' for k, v in LABELS.items())}",
        examples=[{"persons_collection_rate": 0.97, "accuracy": 0.96}])
    remark: str = Field(default="", max_length=200, description="备注", examples=["蒙自市2027年考核方案"])
    expected_version: int | None = Field(default=None, ge=0, description="the version you read (409 if another "
                                         "setting came first)", examples=[0])


class TargetsView(BaseModel):
    division_code: str = Field(examples=["532503"])
    in_force: dict[str, Any] = Field(description="the targets this division is judged against now, with their version",
                                     examples=[{"division_code": None, "version": 0, "source": "notice",
                                                "targets": NOTICE}])
    history: list[dict[str, Any]] = Field(description="this division's own settings, each a version, oldest first",
                                          examples=[[]])
    labels: dict[str, str] = Field(examples=[LABELS])


@router.get("/assessment", summary="考核: a month's records collected, corrections, accuracy (with its 95% interval) "
            "and registration timeliness per collector and per community, ranked by rates against the targets in "
            "force (rows=collectors|communities: one list paged, or the whole list as csv/xlsx)",
            responses={200: {"content": {"application/json": {"example": EXAMPLE}}}, **FILE_RESPONSES})
async def get_assessment(caller: AuditReader, archive: Archive, figures: LiveFigures, month: Month,
                         division_code: Division = None,
                         rows: Annotated[Literal["collectors", "communities"] | None, Query(
                             description="one row set as a worklist {total, items, next_cursor} (default: both, "
                                         "whole, with the totals)")] = None,
                         cursor: CursorParam = None, limit: Limit = PAGE_DEFAULT, format: Format = "json") -> Any:
    scope = division_code or caller.scope.prefix or ""
    if scope:
        caller.require_within(scope)
    moment = now()
    require_started(month, moment, "query", "assessment.future_month")
    found = await assessment_of(figures, archive, scope, month, moment)
    if rows is None and format == "json":
        return JSONResponse(found)
    listed = await answer(Worklist.of(in_order(found[rows or "collectors"], "position")), format, cursor, limit, caller,
                          re.sub(r"[^\w.-]", "_", f"assessment-{month}-{scope or 'all'}-{rows or 'collectors'}"))
    if not isinstance(listed, dict):
        return listed
    return {key: found[key] for key in ("division_code", "name", "month", "as_of", "targets")} | listed


@router.put("/targets", response_model=Accepted, summary="考核目标: set a division's targets (the next version of its "
            "configuration; every assessment names the version it used)")
async def put_targets(command: TargetsIn, caller: Configurer, app: App) -> Accepted:
    return await app.set_targets(command.division_code, command.targets, command.remark, command.expected_version,
                                 caller.context)


@router.get("/targets", response_model=TargetsView, summary="考核目标: the targets in force for a division (its "
            "own, the nearest division's above it, or the notice's as version 0) and its history of settings")
async def get_targets(caller: AuditReader, archive: Archive, division_code: Division = None, as_of: AsOf = None) -> dict:
    scope = division_code or caller.scope.prefix or ""
    if scope:
        caller.require_within(scope)
    moment = utc(as_of) or now()
    own = (await target_settings(archive, moment)).get(scope, [])
    return {"division_code": scope, "in_force": await targets_in_force(archive, moment, scope),
            "history": [{key: setting[key] for key in ("version", "targets", "remark", "recorded_at", "actor")}
                        for setting in own], "labels": LABELS}


@router.post("/baselines/imports", status_code=status.HTTP_201_CREATED, response_model=Accepted,
             summary="采集基数导入: import a file of baselines (户籍 and census figures per division; CSV or xlsx with "
                     "columns division_code/区划代码, metric/指标, value/基数, source/来源) as the next version of "
                     "the division's baselines",
             openapi_extra={"requestBody": {"required": True, "content": {
                 CSV: {"schema": {"type": "string", "maxLength": MAX_BYTES}, "example": "division_code,metric,value,source\n"
                       "532503001,persons_total,1300,第七次全国人口普查\n532503001,houses_total,420,户籍\n"},
                 XLSX: {"schema": {"type": "string", "format": "binary"}}}}},
             responses={413: {"description": f"over {MAX_BYTES} bytes or {MAX_ROWS} rows"},
                        422: {"description": "a row breaks a rule: its line and column are named"}})
@body_limit(MAX_BYTES)
async def import_baselines(
        request: Request, caller: Configurer, app: App,
        division_code: Annotated[str, Query(pattern=r"^\d{6,12}$", description="the importing scope: every row "
                                            "lies inside it", examples=["532503001"])],
        source: Annotated[str, Query(max_length=200, description="来源", examples=["第七次全国人口普查"])] = "",
        period: Annotated[str, Query(max_length=20, description="the period described", examples=["2026"])] = "",
        file_name: Annotated[str, Query(max_length=200, description="原文件名", examples=["基数.csv"])] = "baselines.csv",
        expected_version: Annotated[int | None, Query(ge=0, description="the version you read (409 if another "
                                                      "import came first)", examples=[0])] = None) -> Any:
    caller.require_within(division_code)
    data = await request.body()
    try:
        rows = rows_of(data, division_code)
    except TooManyRows:
        return JSONResponse(status_code=413, content={"detail": [{"loc": ["body"], "type": "baselines.too_large",
                                                                  "msg": f"at most {MAX_ROWS} rows per import",
                                                                  "msg_zh": f"每次最多导入 {MAX_ROWS} 行"}]})
    imported = CollectionBaselinesImported(division_code=division_code, rows=rows, source=source, period=period,
                                           file_name=file_name, sha256=hashlib.sha256(data).hexdigest())
    return await app.import_baselines(imported, expected_version, caller.context)


@router.get("/baselines", summary="采集基数: the baselines in force per division and metric (each naming the import "
            "version it came from) and the imports, each a version, as of a time")
async def get_baselines(caller: AuditReader, archive: Archive, division_code: Division = None,
                        as_of: AsOf = None) -> dict:
    scope = division_code or caller.scope.prefix or ""
    if scope:
        caller.require_within(scope)
    moment = utc(as_of) or now()
    table = await baselines_in_force(archive, moment, scope)
    done = [entry for entry in await imports(archive, moment)
            if entry["division_code"].startswith(scope) or scope.startswith(entry["division_code"])]
    return {"division_code": scope or None, "as_of": moment.isoformat(),
            "baselines": [{"division_code": division, "metric": metric, **figure}
                          for division, metrics in table.items() for metric, figure in metrics.items()],
            "imports": [{"division_code": entry["division_code"], "version": entry["version"],
                         "rows": len(entry["rows"]), "source": entry.get("source", ""),
                         "period": entry.get("period", ""), "file_name": entry.get("file_name", ""),
                         "sha256": entry["sha256"], "recorded_at": entry["recorded_at"], "actor": entry["actor"]}
                        for entry in done]}
