"""Audit (审计与督导) events: inspection campaigns (交叉检查、抽样验收) and their rectification tasks.

Every step of a campaign is a fact on the campaign's stream (``campaign-<id>``), published on
ybss.audit.events like any other context's, so the audit's own work is archived, replayable and diffable.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.bounds import FieldName, Scalar
from contracts.events import DomainEvent

Verdict = Literal["correct", "wrong", "unverifiable"]


class SampledRecord(BaseModel):
    """One record drawn for inspection (抽中记录), with the inspector it went to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stream_id: str = Field(description="record (stream) inspected", examples=["doorplate-532503001…"])
    stream_type: str = Field(description="entity type", examples=["Doorplate"])
    stratum: str = Field(description="stratum drawn from: community code, else township code (抽样层)")
    division_code: str = Field(description="the record's owning division (归属辖区)")
    inspector_id: str = Field(default="", description="assigned inspector (检查人), from another jurisdiction")
    inspector_organisation_code: str = Field(default="", description="the inspector's organisation (检查人单位)")


class FieldVerdict(BaseModel):
    """An inspector's finding on one field (逐字段核查结论)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: FieldName = Field(description="field of the record's state, dotted for nested (e.g. number)")
    verdict: Verdict = Field(description="correct 正确 / wrong 错误 / unverifiable 无法核实")
    correct_value: Scalar = Field(default=None, description="正确值, for a wrong field")


class CampaignOpened(DomainEvent):
    """A supervisor opened a campaign (发起检查) over a division and entity types with a sample size."""

    campaign_id: str
    name: str = Field(description="检查名称")
    division_code: str = Field(description="division inspected (检查范围)")
    entity_types: list[str] = Field(description="stream types sampled, e.g. Doorplate, Person")
    sample_size: int = Field(ge=1, description="样本量")
    seed: int = Field(description="random seed: the same seed over the same records draws the same sample")
    sampled_as_of: str = Field(description="ISO time: the records as they were then were sampled")
    rectification_days: int = Field(ge=1, description="整改期限 (days) for a wrong field")
    opened_by: str = Field(description="supervisor id")

    def evolve(self, state: dict) -> dict:
        return {**state, **self.model_dump(mode="json"), "status": "open", "items": [], "inspections": {},
                "rectifications": {}}


class CampaignSampleDrawn(DomainEvent):
    """The stratified sample with each record's cross-jurisdiction inspector (抽样及交叉分派)."""

    campaign_id: str
    items: list[SampledRecord]
    strata: dict[str, int] = Field(description="records per stratum in the population (各层总数)")

    def evolve(self, state: dict) -> dict:
        dumped = self.model_dump(mode="json")
        return {**state, "items": [*state.get("items", []), *dumped["items"]], "strata": dumped["strata"]}


class CampaignRecordInspected(DomainEvent):
    """An inspector's per-field verdicts on one sampled record (检查记录), with a remark."""

    campaign_id: str
    stream_id: str
    inspected_version: int = Field(ge=0, description="the record's version the inspector saw")
    inspector_id: str
    verdicts: list[FieldVerdict]
    remark: str = Field(default="", description="备注")

    def evolve(self, state: dict) -> dict:
        dumped = self.model_dump(mode="json")
        inspection = {key: dumped[key] for key in ("inspected_version", "inspector_id", "verdicts", "remark")}
        return {**state, "inspections": {**state.get("inspections", {}), self.stream_id: inspection}}


class CampaignRectificationOpened(DomainEvent):
    """A wrong field opens a rectification task (整改任务) for the record's jurisdiction, due by a date."""

    campaign_id: str
    task_id: str
    stream_id: str
    field: str
    correct_value: str | int | float | bool | None = None
    responsible_division: str = Field(description="责任辖区")
    opened_at: str = Field(description="ISO time the task opened; corrections recorded after it close it")
    due_at: str = Field(description="ISO time after which the open task is overdue (逾期)")

    def evolve(self, state: dict) -> dict:
        task = {**self.model_dump(mode="json"), "status": "open"}
        return {**state, "rectifications": {**state.get("rectifications", {}), self.task_id: task}}


class CampaignRectificationClosed(DomainEvent):
    """A correcting event for the field arrived (整改完成): the task closes by itself, naming that event."""

    campaign_id: str
    task_id: str
    closing_event_id: str
    closing_stream_version: int
    new_value: str | int | float | bool | list | dict | None = None
    closed_at: str = Field(description="ISO time the correcting event was recorded")

    def evolve(self, state: dict) -> dict:
        tasks = dict(state.get("rectifications", {}))
        task = tasks.get(self.task_id, {})
        tasks[self.task_id] = {**task, "status": "closed", "closing_event_id": self.closing_event_id,
                               "closing_stream_version": self.closing_stream_version, "new_value": self.new_value,
                               "closed_at": self.closed_at}
        return {**state, "rectifications": tasks}


class CollectionBaselineSet(DomainEvent):
    """A supervisor's baseline for a collection rate (采集率基数), e.g. census households of a community."""

    division_code: str = Field(description="division the baseline counts (community, township or county)")
    metric: str = Field(description="the metric it is the denominator of, e.g. persons_total, houses_total")
    value: int = Field(ge=1, description="基数")
    source: str = Field(default="", description="来源, e.g. 第七次人口普查")
    period: str = Field(default="", description="valid from, e.g. 2026-01 (empty: until replaced)")


class AssessmentTargetsSet(DomainEvent):
    """考核目标: the rates a division and everything under it are judged against (the notice's ≥ 95% collection
    and accuracy, 100% for addresses, houses and units), configuration with a version: each setting is the next
    version of the division's targets stream, and every assessment names the version it used."""

    division_code: str = Field(description="division the targets apply to (and every division inside it)")
    targets: dict[str, float] = Field(description="rate → target in (0, 1], e.g. persons_collection_rate: 0.95")
    remark: str = Field(default="", description="备注, e.g. 依据的通知文号")


class BaselineRow(BaseModel):
    """One figure of an imported baseline file (户籍/普查 per division)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    division_code: str = Field(description="division (or 24-digit community place) the figure counts")
    metric: str = Field(description="the figure it is the denominator of: persons_total, houses_total ...")
    value: int = Field(ge=1, description="基数")
    source: str = Field(default="", description="来源 of this row, e.g. 户籍, 第七次人口普查")


class CollectionBaselinesImported(DomainEvent):
    """采集基数导入: a file of baselines per division (户籍 and census figures), imported whole. Each import is the
    next version of the importing division's baselines stream; a figure then names the version it used."""

    division_code: str = Field(description="the importing scope: every row lies inside it")
    rows: list[BaselineRow] = Field(description="the file's figures")
    source: str = Field(default="", description="来源 of the file, e.g. 第七次全国人口普查")
    period: str = Field(default="", description="the period the figures describe, e.g. 2026")
    file_name: str = Field(default="", description="原文件名")
    sha256: str = Field(description="the file's digest: which file this version was")
