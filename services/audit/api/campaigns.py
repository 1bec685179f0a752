"""Inspection campaigns (交叉检查、抽样验收), rectification tasks (整改) and accuracy (准确率)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, Field

from services.audit.api.deps import Archive, AsOf, AuditReader, CampaignOpener, Inspector, now, utc
from services.audit.application import CampaignAccepted
from services.audit.bootstrap import App
from services.audit.commands import Inspect, OpenCampaign
from services.audit.domain.accuracy import accuracy_by_division, overall
from services.audit.domain.fold import flatten
from services.audit.domain.history import state_of
from services.audit.domain.rectification import task_view
from services.audit.views.archive import stream
from services.audit.views.campaigns import campaigns_as_of, candidates
from services.kernel.eventsourcing.application import Accepted
from services.kernel.base.errors import DomainRuleViolation
from services.kernel.web.exports import FILE_RESPONSES, Format, answer
from services.kernel.web.paging import PAGE_DEFAULT, CursorParam, Limit, Listed, Worklist

router = APIRouter(prefix="/v1/audit", tags=["campaigns 检查与整改"])
CampaignId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="检查活动编号", examples=["3f2a9c0d1e4b5a67"])]
Division = Annotated[str | None, Query(pattern=r"^\d{2,12}$", description="区划 (prefix)", examples=["532503"])]


class CampaignView(BaseModel):
    campaign_id: str = Field(examples=["3f2a9c0d1e4b5a67"])
    version: int = Field(examples=[3])
    state: dict[str, Any] = Field(description="the campaign as its events declare it (items, inspections ...)",
                                  examples=[{"name": "门牌抽查", "division_code": "532503001", "status": "open"}])
    rectifications: list[dict[str, Any]] = Field(description="整改任务 with ``overdue``", examples=[[]])
    accuracy: dict[str, Any] = Field(description="准确率 over fields and records with 95% Wilson intervals",
                                     examples=[{"fields": {"correct": 9, "inspected": 10, "rate": 0.9,
                                                           "interval_95": [0.5958, 0.9821]}}])


class AccuracyView(BaseModel):
    division_code: str | None = Field(examples=["532503"])
    as_of: str = Field(examples=["2026-11-30T23:59:59+00:00"])
    overall: dict[str, Any] = Field(examples=[{"fields": {"correct": 9, "inspected": 10, "rate": 0.9,
                                                          "interval_95": [0.5958, 0.9821]}}])
    by_division: dict[str, Any] = Field(examples=[{"532503001": {}}])


@router.post("/campaigns", status_code=status.HTTP_201_CREATED, response_model=CampaignAccepted,
             summary="发起检查: open a campaign, draw the stratified sample and assign inspectors across jurisdictions")
async def open_campaign(command: OpenCampaign, caller: CampaignOpener, archive: Archive, app: App) -> CampaignAccepted:
    as_of = utc(command.as_of) or now()
    population, stream_types = await candidates(archive, command.division_code, command.entity_types, as_of)
    return await app.open_campaign(command, population, stream_types, as_of, caller.context)


@router.get("/campaigns/{campaign_id}", response_model=CampaignView,
            summary="检查活动: a campaign with its sample, verdicts, rectification tasks and accuracy")
async def get_campaign(campaign_id: CampaignId, caller: AuditReader, archive: Archive, app: App,
                       as_of: AsOf = None) -> dict:
    campaign = await app.campaign(campaign_id)
    caller.require_within(campaign.division_code, "campaign")
    if await app.sweep([campaign_id]):  # a correction archived since the rectifier last looked
        campaign = await app.campaign(campaign_id)
    moment = utc(as_of) or now()
    tasks = [task_view(task, moment) for task in campaign.state.get("rectifications", {}).values()]
    return {"campaign_id": campaign_id, "version": campaign.version, "state": campaign.state,
            "rectifications": tasks, "accuracy": overall([campaign.state])}


@router.post("/campaigns/{campaign_id}/inspections", response_model=Accepted,
             summary="检查记录: per-field verdicts on one sampled record (a wrong field opens a rectification task)")
async def inspect(campaign_id: CampaignId, command: Inspect, caller: Inspector, archive: Archive, app: App) -> Accepted:
    documents = await stream(archive, command.stream_id)
    if not documents:
        raise DomainRuleViolation("stream_id", "record.unknown", f"{command.stream_id} is not in the archive",
                                  f"记录 {command.stream_id} 不存在")
    # Cross-inspection: the inspector is from another jurisdiction on purpose; what authorises them is being
    # the assigned inspector (checked by the campaign), not the campaign's division.
    context = replace(caller.context, jurisdiction=None)
    version, state = state_of(documents)
    return await app.inspect(campaign_id, command, version, caller.actor.role == "admin", context,
                             known_fields=set(flatten(state)))


@router.get("/rectifications", summary="整改任务: rectification tasks in the jurisdiction as of a time, overdue flagged "
                                       "(paged by task id, or the whole list as csv/xlsx)", responses=FILE_RESPONSES)
async def rectifications(caller: AuditReader, archive: Archive, app: App, division_code: Division = None,
                         status_: Annotated[str | None, Query(alias="status", pattern="^(open|closed|overdue)$")] = None,
                         as_of: AsOf = None, cursor: CursorParam = None, limit: Limit = PAGE_DEFAULT,
                         format: Format = "json") -> dict:
    moment = utc(as_of) or now()
    if as_of is None:
        await app.sweep()
    scope = division_code or caller.scope.prefix or ""
    tasks = [task_view(task, moment) for campaign in await campaigns_as_of(archive, moment, scope or None)
             for task in campaign.get("rectifications", {}).values()
             if task["responsible_division"].startswith(scope) and caller.within(task["responsible_division"])]
    if status_ == "overdue":
        tasks = [t for t in tasks if t["overdue"]]
    elif status_:
        tasks = [t for t in tasks if t["status"] == status_]
    found = await answer(Worklist.of(Listed(tasks, "task_id")), format, cursor, limit, caller, "rectifications")
    return {"as_of": moment.isoformat(), **found} if isinstance(found, dict) else found


@router.get("/accuracy", response_model=AccuracyView,
            summary="准确率: accuracy from inspections per division with 95% Wilson intervals, as of a time")
async def accuracy(caller: AuditReader, archive: Archive, division_code: Division = None, as_of: AsOf = None,
                   level: Annotated[int, Query(ge=2, le=12, description="digits of the division code to group by")] = 9,
                   ) -> dict:
    moment = utc(as_of) or now()
    scope = division_code or caller.scope.prefix or ""
    if scope:
        caller.require_within(scope)
    states = await campaigns_as_of(archive, moment, scope or None)
    return {"division_code": scope or None, "as_of": moment.isoformat(), "overall": overall(states, scope),
            "by_division": accuracy_by_division(states, level, scope)}
