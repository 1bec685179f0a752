"""Quality metrics (质量指标) as of a time, and the baselines collection rates are measured against."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from contracts.audit import CollectionBaselineSet
from services.audit.api.deps import Archive, AsOf, AuditReader, CampaignOpener, now, utc
from services.audit.bootstrap import App, LiveFigures
from services.audit.views.quality import RATE_OF, quality_figures
from services.kernel.eventsourcing.application import Accepted
from services.kernel.base.errors import DomainRuleViolation

router = APIRouter(prefix="/v1/audit", tags=["quality 质量指标"])


class QualityView(BaseModel):
    """The division's numbers; every other metric of the issue is listed beside these (extra fields)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "division_code": "532503001", "as_of": "2026-10-31T23:59:59+00:00", "persons_total": 1250,
        "persons_linked": 1190, "houses_total": 420, "houses_rented": 96, "units_total": 88, "units_special_trade": 7,
        "doorplates_total": 610, "by_sub_division": {}, "by_collector": {}, "notes": []}]})

    division_code: str | None
    as_of: str
    persons_total: int = Field(description="实有人口 (not cancelled or merged)")
    persons_linked: int = Field(description="current residence at an in-use standard address (人地关联)")
    houses_total: int = Field(description="实有房屋")
    houses_rented: int = Field(description="出租房屋 (a current rental)")
    units_total: int = Field(description="实有单位 (not closed)")
    units_special_trade: int = Field(description="特种/重点行业单位")


class SetBaseline(BaseModel):
    """采集率基数: e.g. census households or persons per community, uploaded by a supervisor."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "division_code": "532503001", "metric": "persons_total", "value": 1300, "source": "第七次全国人口普查",
        "period": "2026-01"}]})

    division_code: str = Field(pattern=r"^\d{6,24}$", examples=["532503001"])
    metric: str = Field(max_length=64, description=f"one of {sorted(RATE_OF)}", examples=["persons_total"])
    value: int = Field(ge=1, le=10**9, examples=[1300])
    source: str = Field(default="", max_length=200, examples=["第七次全国人口普查"])
    period: str = Field(default="", max_length=20, examples=["2026-01"])


@router.get("/quality", response_model=QualityView, summary="质量指标: collection, linking, duplicates, logic errors, "
            "backlog and accuracy per division, sub-division and collector, as of a time (by Beijing day: a time "
            "inside a day reads the end of that day), from counters kept as events arrive")
async def get_quality(caller: AuditReader, archive: Archive, store: LiveFigures,
                      division_code: Annotated[str | None, Query(pattern=r"^\d{2,24}$", examples=["532503001"])] = None,
                      as_of: AsOf = None) -> dict[str, Any]:
    scope = division_code or caller.scope.prefix
    if scope:
        caller.require_within(scope)
    return await quality_figures(store, archive, scope, utc(as_of) or now())


@router.post("/baselines", status_code=status.HTTP_201_CREATED, response_model=Accepted,
             summary="采集率基数: set the baseline a collection rate is measured against")
async def set_baseline(command: SetBaseline, caller: CampaignOpener, app: App) -> Accepted:
    if command.metric not in RATE_OF:
        raise DomainRuleViolation("metric", "baseline.unknown_metric", f"metric must be one of {sorted(RATE_OF)}",
                                  f"指标须为 {sorted(RATE_OF)} 之一")
    return await app.set_baseline(CollectionBaselineSet(**command.model_dump()), caller.context)
