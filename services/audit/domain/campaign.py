"""The inspection campaign aggregate (检查活动): sample, assign, inspect, rectify. Pure: no I/O.

Its state is what its events declare (contracts.audit evolve), so the aggregate and the audit's own fold of
the campaign stream can never disagree.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from contracts.audit import (
    CampaignOpened, CampaignRecordInspected, CampaignRectificationClosed, CampaignRectificationOpened,
    CampaignSampleDrawn, FieldVerdict, SampledRecord,
)
from contracts.events import DomainEvent
from services.audit.domain.assignment import InspectorRef, assign
from services.audit.domain.sampling import Candidate, draw
from services.kernel.eventsourcing.aggregate import Aggregate, applies
from services.kernel.base.errors import DomainRuleViolation, Forbidden, StateConflict


def campaign_stream(campaign_id: str) -> str:
    return f"campaign-{campaign_id}"


def task_id(stream_id: str, field: str) -> str:
    return f"{stream_id}#{field}"


class Campaign(Aggregate):
    stream_type = "Campaign"

    def __init__(self, stream_id: str) -> None:
        super().__init__(stream_id)
        self.state: dict[str, Any] = {}
        self.division_code = ""

    @applies(CampaignOpened, CampaignSampleDrawn, CampaignRecordInspected, CampaignRectificationOpened,
             CampaignRectificationClosed)
    def _evolved(self, event: DomainEvent) -> None:
        self.state = event.evolve(self.state)
        self.division_code = self.state["division_code"]

    # commands ----------------------------------------------------------------------------------------
    @classmethod
    def open(cls, opened: CampaignOpened, candidates: list[Candidate], stream_types: dict[str, str],
             inspectors: list[InspectorRef]) -> "Campaign":
        """Open, draw the stratified sample, assign each record across jurisdictions: one decision."""
        sample = draw(candidates, opened.sample_size, opened.seed)
        if not sample:
            raise DomainRuleViolation("division_code", "campaign.nothing_to_sample",
                                      f"no {', '.join(opened.entity_types)} records in {opened.division_code} "
                                      f"as of {opened.sampled_as_of}", "检查范围内没有可抽样的记录")
        chosen = assign([c.division_code for c in sample], inspectors)
        strata: dict[str, int] = {}
        for candidate in candidates:
            strata[candidate.stratum] = strata.get(candidate.stratum, 0) + 1
        campaign = cls(campaign_stream(opened.campaign_id))
        campaign.record(opened)
        campaign.record(CampaignSampleDrawn(campaign_id=opened.campaign_id, strata=strata, items=[
            SampledRecord(stream_id=c.stream_id, stream_type=stream_types[c.stream_id], stratum=c.stratum,
                          division_code=c.division_code, inspector_id=i.id, inspector_organisation_code=i.organisation_code)
            for c, i in zip(sample, chosen)]))
        return campaign

    def item(self, stream_id: str) -> dict[str, Any]:
        for item in self.state.get("items", []):
            if item["stream_id"] == stream_id:
                return item
        raise DomainRuleViolation("stream_id", "campaign.not_sampled", f"{stream_id} is not in this campaign's sample",
                                  f"{stream_id} 不在本次抽样中")

    def inspect(self, stream_id: str, inspector_id: str, may_stand_in: bool, inspected_version: int,
                verdicts: list[FieldVerdict], remark: str, now: datetime, known_fields: set[str] | None = None) -> None:
        """Record per-field verdicts; each wrong field opens a rectification task due in the campaign's days.

        ``known_fields``: the record's fields as inspected (dotted for nested); a verdict on any other is refused.
        """
        item = self.item(stream_id)
        for index, verdict in enumerate(verdicts):
            if known_fields is not None and verdict.field not in known_fields and not any(
                    known.startswith(verdict.field + ".") for known in known_fields):
                raise DomainRuleViolation(f"verdicts.{index}.field", "verdict.unknown_field",
                                          f"{stream_id} has no field {verdict.field!r}",
                                          f"该记录没有字段 {verdict.field}")
            if verdict.verdict == "wrong" and verdict.correct_value is None:
                raise DomainRuleViolation(f"verdicts.{index}.correct_value", "verdict.correct_value_required",
                                          "a wrong field needs the correct value", "判定错误须填写正确值")
        if item["inspector_id"] != inspector_id and not may_stand_in:
            raise Forbidden(f"{stream_id} is assigned to inspector {item['inspector_id']}, not {inspector_id}",
                            f"该记录分派给 {item['inspector_id']} 检查")
        if stream_id in self.state.get("inspections", {}):
            raise StateConflict("campaign.already_inspected", f"{stream_id} was already inspected in this campaign",
                                "该记录已检查")
        fields = [v.field for v in verdicts]
        if len(set(fields)) != len(fields):
            raise DomainRuleViolation("verdicts", "verdicts.field_twice", "one verdict per field", "每个字段只能有一个结论")
        campaign_id = self.state["campaign_id"]
        self.record(CampaignRecordInspected(campaign_id=campaign_id, stream_id=stream_id, inspector_id=inspector_id,
                                            inspected_version=inspected_version, verdicts=verdicts, remark=remark))
        due = now + timedelta(days=self.state["rectification_days"])
        for verdict in verdicts:
            if verdict.verdict == "wrong":
                self.record(CampaignRectificationOpened(
                    campaign_id=campaign_id, task_id=task_id(stream_id, verdict.field), stream_id=stream_id,
                    field=verdict.field, correct_value=verdict.correct_value, responsible_division=item["division_code"],
                    opened_at=now.isoformat(), due_at=due.isoformat()))

    def open_tasks(self) -> list[dict[str, Any]]:
        return [task for task in self.state.get("rectifications", {}).values() if task["status"] == "open"]

    def close_task(self, task: str, closing_event_id: str, closing_version: int, new_value: Any, closed_at: str) -> bool:
        """A correcting event arrived: close the task (once; a second closing is a no-op)."""
        current = self.state.get("rectifications", {}).get(task)
        if current is None or current["status"] != "open":
            return False
        self.record(CampaignRectificationClosed(
            campaign_id=self.state["campaign_id"], task_id=task, closing_event_id=closing_event_id,
            closing_stream_version=closing_version, new_value=new_value, closed_at=closed_at))
        return True
