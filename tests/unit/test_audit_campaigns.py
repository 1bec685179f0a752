"""Campaigns on the in-memory kernel: sample, cross-assign, verdicts, rectification and accuracy (no stack)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from contracts.address import DoorplateRegistered, DoorplateRenumbered
from contracts.audit import FieldVerdict
from contracts.envelope import Actor
from services.audit.application import AuditApplication
from services.audit.commands import Inspect, InspectorIn, OpenCampaign
from services.audit.domain.accuracy import accuracy_by_division, overall
from services.audit.domain.rectification import correcting_event, is_overdue
from services.audit.domain.sampling import Candidate
from services.kernel.eventsourcing.aggregate import CommandContext
from services.kernel.base.errors import DomainRuleViolation, Forbidden, StateConflict
from services.kernel.eventsourcing.memory import InMemoryClaims, InMemoryEventStore

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
SUPERVISOR = CommandContext(actor=Actor(id="SV-1", role="supervisor", organisation_code="532503"), correlation_id="c")


def ctx(inspector: str) -> CommandContext:
    return CommandContext(actor=Actor(id=inspector, role="police", organisation_code="532502"), correlation_id="c")


def population(n: int = 40) -> tuple[list[Candidate], dict[str, str]]:
    candidates = [Candidate(f"doorplate-{i:03d}", f"53250300{1 + i % 2}", f"53250300{1 + i % 2}") for i in range(n)]
    return candidates, {c.stream_id: "Doorplate" for c in candidates}


def opening(**extra) -> OpenCampaign:
    return OpenCampaign(name="门牌抽查", division_code="532503", entity_types=["Doorplate"], sample_size=10, seed=42,
                        rectification_days=10, inspectors=[InspectorIn(id="PC-A", organisation_code="532502"),
                                                           InspectorIn(id="PC-B", organisation_code="532501")], **extra)


@pytest.fixture
def app() -> AuditApplication:
    return AuditApplication(InMemoryEventStore(), InMemoryClaims())


async def test_a_campaign_samples_reproducibly_across_jurisdictions(app):
    candidates, types = population()
    first = await app.open_campaign(opening(), candidates, types, NOW, SUPERVISOR)
    again = await app.open_campaign(opening(), list(reversed(candidates)), types, NOW, SUPERVISOR)
    assert [i["stream_id"] for i in first.items] == [i["stream_id"] for i in again.items]
    assert first.version == 2 and len(first.items) == 10
    assert {i["stratum"] for i in first.items} == {"532503001", "532503002"}
    assert all(i["inspector_organisation_code"] in ("532502", "532501") for i in first.items)
    campaign = await app.campaign(first.campaign_id)
    assert campaign.state["strata"] == {"532503001": 20, "532503002": 20}
    with pytest.raises(DomainRuleViolation) as nothing:
        await app.open_campaign(opening(), [], {}, NOW, SUPERVISOR)
    assert nothing.value.rule == "campaign.nothing_to_sample"


async def test_verdicts_open_tasks_a_correction_closes_them_and_accuracy_has_an_interval(app):
    candidates, types = population()
    opened = await app.open_campaign(opening(), candidates, types, NOW, SUPERVISOR)
    planted_wrong = {opened.items[0]["stream_id"], opened.items[1]["stream_id"]}
    for item in opened.items:
        wrong = item["stream_id"] in planted_wrong
        verdicts = [FieldVerdict(field="number", verdict="wrong" if wrong else "correct", correct_value="20" if wrong else None),
                    FieldVerdict(field="location", verdict="unverifiable")]
        await app.inspect(opened.campaign_id, Inspect(stream_id=item["stream_id"], verdicts=verdicts), 1, False,
                          ctx(item["inspector_id"]), now=NOW)
    item = opened.items[0]
    with pytest.raises(StateConflict):
        await app.inspect(opened.campaign_id, Inspect(stream_id=item["stream_id"], verdicts=[
            FieldVerdict(field="number", verdict="correct")]), 1, False, ctx(item["inspector_id"]), now=NOW)
    other = next(i for i in opened.items if i["inspector_id"] != item["inspector_id"])
    fresh = await app.open_campaign(opening(), candidates, types, NOW, SUPERVISOR)
    target = fresh.items[0]
    with pytest.raises(DomainRuleViolation) as unknown:
        await app.inspect(fresh.campaign_id, Inspect(stream_id=target["stream_id"], verdicts=[
            FieldVerdict(field="colour", verdict="correct")]), 1, False, ctx(target["inspector_id"]), NOW, {"number"})
    assert (unknown.value.field, unknown.value.rule) == ("verdicts.0.field", "verdict.unknown_field")
    with pytest.raises(DomainRuleViolation) as no_value:
        await app.inspect(fresh.campaign_id, Inspect(stream_id=target["stream_id"], verdicts=[
            FieldVerdict(field="number", verdict="wrong")]), 1, False, ctx(target["inspector_id"]), NOW, {"number"})
    assert no_value.value.rule == "verdict.correct_value_required"
    campaign = await app.campaign(opened.campaign_id)
    with pytest.raises(Forbidden):
        campaign.inspect(other["stream_id"], item["inspector_id"], False, 1, [], "", NOW)

    accuracy = overall([campaign.state])
    assert accuracy["records"] == {"correct": 8, "inspected": 10, "rate": 0.8, "interval_95": [0.490162, 0.943318]}
    assert accuracy["fields"]["inspected"] == 10  # unverifiable fields count nowhere
    assert set(accuracy_by_division([campaign.state], level=9)) <= {"532503001", "532503002"}

    tasks = campaign.open_tasks()
    assert {t["stream_id"] for t in tasks} == planted_wrong and all(t["field"] == "number" for t in tasks)
    assert not is_overdue(tasks[0], NOW + timedelta(days=9)) and is_overdue(tasks[0], NOW + timedelta(days=11))

    task = next(t for t in tasks if t["stream_id"] == item["stream_id"])
    archived = [
        archive_doc(1, "DoorplateRegistered", DoorplateRegistered(
            code="X", division_code="532503001", place_code="P", place_name="天马路", number="18").model_dump(mode="json"),
            NOW - timedelta(days=30)),
        archive_doc(2, "DoorplateRenumbered", DoorplateRenumbered(
            code="X", old_prefix="", old_number="18", old_suffix="号", prefix="", number="20", suffix="号",
            reason="纠错").model_dump(), NOW + timedelta(days=1)),
    ]
    found = correcting_event(task, archived)
    assert found is not None and found[0]["version"] == 2 and found[1] == "20"
    assert correcting_event(task, archived[:1]) is None
    assert await app.close_task(opened.campaign_id, task["task_id"], found[0], found[1])
    assert not await app.close_task(opened.campaign_id, task["task_id"], found[0], found[1])  # idempotent
    closed = (await app.campaign(opened.campaign_id)).state["rectifications"][task["task_id"]]
    assert (closed["status"], closed["closing_event_id"], closed["new_value"]) == ("closed", "e2", "20")


def archive_doc(version: int, event_type: str, payload: dict, at: datetime) -> dict:
    return {"_id": f"e{version}", "version": version, "event_type": event_type, "payload": payload,
            "recorded_at": at, "correlation_id": "k"}
