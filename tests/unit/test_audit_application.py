"""The audit application as its composition root builds it, on in-memory ports: the rectifier's sweep closes a
task once its correction is archived (整改自动销号), and a baseline (采集率基数) is set inside the supervisor's
area only — the decisions that used to run inside routes and views."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from contracts.address import DoorplateRegistered, DoorplateRenumbered
from contracts.audit import CollectionBaselineSet, FieldVerdict
from services.audit.archive import EVENTS, NAME
from services.audit.bootstrap import application
from services.audit.commands import Inspect
from services.kernel.base.errors import Forbidden
from services.kernel.eventsourcing.memory import InMemoryClaims, InMemoryEventStore
from services.kernel.messaging.memory_reads import InMemoryReadModels
from tests.unit.test_audit_campaigns import NOW, SUPERVISOR, ctx, opening, population


def archived(stream_id: str, version: int, event_type: str, payload: dict, at) -> dict:
    return {"_id": f"{stream_id}-e{version}", "stream_id": stream_id, "stream_type": "Doorplate", "version": version,
            "event_type": event_type, "payload": payload, "recorded_at": at, "correlation_id": "k"}


async def test_the_sweep_closes_a_task_whose_field_a_later_archived_event_corrected():
    reads = InMemoryReadModels()
    archive = reads.read_model(NAME, EVENTS)
    app = application(InMemoryEventStore(), InMemoryClaims(), archive)
    candidates, types = population()
    opened = await app.open_campaign(opening(), candidates, types, NOW, SUPERVISOR)
    item = opened.items[0]
    await app.inspect(opened.campaign_id, Inspect(stream_id=item["stream_id"], verdicts=[
        FieldVerdict(field="number", verdict="wrong", correct_value="20")]), 1, False, ctx(item["inspector_id"]), now=NOW)
    await archive.insert_many([
        {"_id": "c1", "stream_id": f"campaign-{opened.campaign_id}", "stream_type": "Campaign", "version": 1},
        archived(item["stream_id"], 1, "DoorplateRegistered", DoorplateRegistered(
            code="X", division_code="532503001", place_code="P", place_name="天马路", number="18",
        ).model_dump(mode="json"), NOW - timedelta(days=30))])

    assert await app.sweep() == 0  # nothing corrected yet: the task stays open
    await archive.insert_one(archived(item["stream_id"], 2, "DoorplateRenumbered", DoorplateRenumbered(
        code="X", old_prefix="", old_number="18", old_suffix="号", prefix="", number="20", suffix="号", reason="纠错",
    ).model_dump(), NOW + timedelta(days=1)))
    assert await app.sweep() == 1
    assert await app.sweep([opened.campaign_id]) == 0  # closed once
    [task] = (await app.campaign(opened.campaign_id)).state["rectifications"].values()
    assert (task["status"], task["new_value"]) == ("closed", "20")


async def test_a_baseline_replaces_the_one_before_inside_the_supervisors_area_only():
    store = InMemoryEventStore()
    app = application(store, InMemoryClaims(), InMemoryReadModels().read_model(NAME, EVENTS))
    first = await app.set_baseline(CollectionBaselineSet(division_code="532503001", metric="persons_total", value=1300,
                                                         source="第七次全国人口普查", period="2026-01"), SUPERVISOR)
    second = await app.set_baseline(CollectionBaselineSet(division_code="532503001", metric="persons_total", value=1350),
                                    SUPERVISOR)
    assert (first.stream_id, first.version, second.version) == ("baseline-532503001-persons_total", 1, 2)
    assert [e.payload["value"] for e in await store.read_stream(first.stream_id)] == [1300, 1350]
    def county_532503(division: str | None) -> None:
        if not (division or "").startswith("532503"):
            raise Forbidden("outside the jurisdiction", "不在辖区内", record_division=division, caller_scope="532503")

    with pytest.raises(Forbidden):
        await app.set_baseline(CollectionBaselineSet(division_code="532502001", metric="persons_total", value=9),
                               replace(SUPERVISOR, jurisdiction=county_532503))
    assert await store.current_version("baseline-532502001-persons_total") == 0
