"""重点单位/重点部位 列管 without the stack: request → pending → listed or rejected, on the unit's own stream, and the
lists a supervisor works from (the registry's documents folded by the same events)."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.unit import KeyLocationListed, KeyLocationListingRequested, KeyUnitListed, KeyUnitListingRequested
from services.kernel.base.errors import DomainRuleViolation, NotFound, StateConflict
from services.kernel.messaging.memory_reads import InMemoryReadModels
from tests.unit.test_unit_domain import TODAY, replay, unit


def test_a_key_unit_is_requested_then_approved():
    u = unit()
    u.request_key_unit(" 留宿洗浴场所 ", "PC-1", TODAY)
    assert isinstance(u.pending[-1], KeyUnitListingRequested) and replay(u).state["key_unit"]["state"] == "pending"
    u.decide_key_unit(True, "SV-1", TODAY, "同意列管")
    assert isinstance(u.pending[-1], KeyUnitListed)
    key_unit = replay(u).state["key_unit"]
    assert (key_unit["state"], key_unit["reason"], key_unit["requested_by"], key_unit["decided_by"],
            key_unit["remark"]) == ("listed", "留宿洗浴场所", "PC-1", "SV-1", "同意列管")
    with pytest.raises(StateConflict) as again:
        u.request_key_unit("再次申请", "PC-1", TODAY)
    assert again.value.rule == "key_unit.illegal_transition"


def test_a_rejected_request_needs_reasons_and_may_be_requested_again():
    u = unit()
    with pytest.raises(StateConflict) as nothing:
        u.decide_key_unit(True, "SV-1", TODAY)
    assert nothing.value.rule == "key_unit.not_pending"
    u.request_key_unit("人员密集", "PC-1", TODAY)
    with pytest.raises(DomainRuleViolation) as silent:
        u.decide_key_unit(False, "SV-1", TODAY, "  ")
    assert (silent.value.field, silent.value.rule) == ("remark", "required")
    u.decide_key_unit(False, "SV-1", TODAY, "不符合列管条件")
    assert replay(u).state["key_unit"]["state"] == "rejected"
    u.request_key_unit("补充材料后重新申请", "PC-1", TODAY)
    assert replay(u).state["key_unit"]["state"] == "pending"


def test_key_locations_are_entries_of_their_own():
    u = unit()
    u.request_key_location("KL1", "财务室", "存放现金", "PC-1", TODAY, "三楼东侧")
    u.request_key_location("KL2", "危化品仓库", "存放危险化学品", "PC-1", TODAY)
    assert isinstance(u.pending[-1], KeyLocationListingRequested)
    u.decide_key_location("KL1", True, "SV-1", TODAY)
    assert isinstance(u.pending[-1], KeyLocationListed)
    u.decide_key_location("KL2", False, "SV-1", TODAY, "已撤除")
    locations = {e["location_id"]: e for e in replay(u).state["key_locations"]}
    assert (locations["KL1"]["state"], locations["KL1"]["description"], locations["KL2"]["state"]) == (
        "listed", "三楼东侧", "rejected")
    with pytest.raises(StateConflict) as duplicate:
        u.request_key_location("KL3", "财务室", "重复", "PC-1", TODAY)
    assert duplicate.value.rule == "key_location.duplicate"
    u.request_key_location("KL4", "危化品仓库", "重新启用", "PC-1", TODAY)  # the rejected one's name is free again
    with pytest.raises(StateConflict) as decided:
        u.decide_key_location("KL1", False, "SV-1", TODAY, "改主意")
    assert decided.value.rule == "key_location.not_pending"
    with pytest.raises(NotFound):
        u.decide_key_location("KL-none", True, "SV-1", TODAY)


def test_a_key_unit_is_released_by_request_and_approval_and_may_be_listed_again():
    u = unit()
    with pytest.raises(StateConflict) as unlisted:
        u.request_key_unit_release("停业", "PC-1", TODAY)
    assert unlisted.value.rule == "key_unit.not_listed"
    u.request_key_unit("理由", "PC-1", TODAY)
    u.decide_key_unit(True, "SV-1", TODAY)
    u.request_key_unit_release("停止留宿经营", "PC-2", TODAY)
    key_unit = replay(u).state["key_unit"]
    assert (key_unit["state"], key_unit["release_reason"], key_unit["release_requested_by"]) == (
        "release_pending", "停止留宿经营", "PC-2")
    u.decide_key_unit(False, "SV-1", TODAY, "仍有留宿")
    assert u.pending[-1].event_type() == "KeyUnitReleaseRejected" and replay(u).state["key_unit"]["state"] == "listed"
    u.request_key_unit_release("已停业", "PC-2", TODAY)
    u.decide_key_unit(True, "SV-1", TODAY, "同意撤管")
    assert u.pending[-1].event_type() == "KeyUnitReleased" and replay(u).state["key_unit"]["state"] == "released"
    u.request_key_unit("复业后重新列管", "PC-1", TODAY)
    assert replay(u).state["key_unit"]["state"] == "pending"


def test_a_key_location_is_released_and_its_name_is_free_again():
    u = unit()
    u.request_key_location("KL1", "财务室", "存放现金", "PC-1", TODAY)
    with pytest.raises(StateConflict) as pending:
        u.request_key_location_release("KL1", "撤除", "PC-1", TODAY)
    assert pending.value.rule == "key_location.not_listed"
    u.decide_key_location("KL1", True, "SV-1", TODAY)
    with pytest.raises(DomainRuleViolation) as silent:
        u.request_key_location_release("KL1", " ", "PC-1", TODAY)
    assert (silent.value.field, silent.value.rule) == ("reason", "required")
    u.request_key_location_release("KL1", "财务室已撤销", "PC-1", TODAY)
    u.decide_key_location("KL1", True, "SV-1", TODAY)
    assert u.pending[-1].event_type() == "KeyLocationReleased"
    assert replay(u).state["key_locations"][0]["state"] == "released"
    u.request_key_location("KL2", "财务室", "新设财务室", "PC-1", TODAY)
    with pytest.raises(NotFound):
        u.request_key_location_release("KL-none", "理由", "PC-1", TODAY)


@pytest.mark.parametrize(("name", "reason", "field"), [(" ", "理由", "name"), ("财务室", " ", "reason")])
def test_a_key_location_request_names_the_missing_field(name, reason, field):
    with pytest.raises(DomainRuleViolation) as refused:
        unit().request_key_location("KL1", name, reason, "PC-1", TODAY)
    assert (refused.value.field, refused.value.rule) == (field, "required")


def test_a_closed_unit_takes_no_new_request():
    u = unit()
    u.close(date(2026, 11, 2), TODAY, "注销")
    with pytest.raises(StateConflict, match="closed"):
        u.request_key_unit("理由", "PC-1", TODAY)
    with pytest.raises(StateConflict, match="closed"):
        u.request_key_location("KL1", "财务室", "理由", "PC-1", TODAY)


async def test_the_lists_show_pending_requests_key_units_and_key_locations():
    from services.unit.projections import UNITS, registry
    from services.unit.views import key_listings

    listed, pending, elsewhere = unit(), unit(), unit(division_code="532502001")
    listed.request_key_unit("理由", "PC-1", TODAY)
    listed.decide_key_unit(True, "SV-1", TODAY)
    listed.request_key_location("KL1", "财务室", "理由", "PC-1", TODAY)
    listed.decide_key_location("KL1", True, "SV-1", TODAY)
    listed.request_key_location("KL2", "机房", "理由", "PC-1", TODAY)
    listed.request_key_location_release("KL1", "撤销", "PC-1", TODAY)  # 撤管 pending: still listed, and a request
    pending.request_key_unit("理由", "PC-1", TODAY)
    elsewhere.request_key_unit("理由", "PC-1", TODAY)
    reads = InMemoryReadModels()
    collection = reads.read_model(registry.name, UNITS)
    for unit_id, aggregate in (("U1", listed), ("U2", pending), ("U9", elsewhere)):
        await collection.insert_one({**replay(aggregate).state, "_id": unit_id, "unit_id": unit_id})
    scope = {"division_code": {"$regex": "^532503"}}

    requests = await key_listings.pending_requests(reads, scope).page(None, 10)
    assert [(i["unit_id"], i["kind"], i.get("location_id"), i["state"]) for i in requests["items"]] == [
        ("U1", "key_location", "KL1", "release_pending"), ("U1", "key_location", "KL2", "pending"),
        ("U2", "key_unit", None, "pending")]
    assert requests["total"] == 3, "the neighbouring county's request is not listed"
    units = await key_listings.key_units(reads, scope).page(None, 10)
    assert [i["unit_id"] for i in units["items"]] == ["U1"] and units["items"][0]["state"] == "listed"
    locations = await key_listings.key_locations(reads, scope).page(None, 10)
    assert [(i["unit_name"], i["name"]) for i in locations["items"]] == [("蒙自天马宾馆", "财务室")]


@pytest.mark.parametrize(("path", "command"), [
    ("/v1/units/{unit_id}/key-unit", "RequestKeyUnit"), ("/v1/units/{unit_id}/key-locations", "RequestKeyLocation"),
    ("/v1/units/{unit_id}/key-unit/approve", "DecideKeyListing"),
    ("/v1/units/{unit_id}/key-unit/release", "ReleaseKeyListing")])
def test_the_openapi_examples_are_complete_requests(path, command):
    from tests.unit.test_unit_changes import documented

    body = documented(path, command)
    u = unit()
    if command == "RequestKeyLocation":
        u.request_key_location("KL1", body.name, body.reason, "PC-1", TODAY, body.description)
    elif command == "ReleaseKeyListing":
        u.request_key_unit("理由", "PC-1", TODAY)
        u.decide_key_unit(True, "SV-1", TODAY)
        u.request_key_unit_release(body.reason, "PC-1", TODAY)
    else:
        u.request_key_unit(getattr(body, "reason", "理由"), "PC-1", TODAY)
        if command == "DecideKeyListing":
            u.decide_key_unit(True, "SV-1", TODAY, body.remark)
    steps = {"RequestKeyLocation": 2, "RequestKeyUnit": 2, "DecideKeyListing": 3, "ReleaseKeyListing": 4}
    assert len(u.pending) == steps[command], "accepted as documented"


def test_overnight_bath_houses_are_a_special_trade_inspected_and_watched_like_hotels():
    """留宿洗浴: licensed as a 特种行业, on the hotels' inspection cycle, and a key person hired there alerts."""
    from contracts import special_trades
    from contracts.inspections import inspection_cycles, inspections_due
    from services.person.watch.rules import configured, match

    bath = special_trades.get("overnight_bath")
    assert bath is not None and bath.name == "留宿洗浴场所" and bath.category == "special"
    assert inspection_cycles()["overnight_bath"] == inspection_cycles()["hotel"]
    u = unit()
    u.add_special_trade("overnight_bath", date(2026, 9, 1), TODAY)
    due = inspections_due(replay(u).state, inspection_cycles(), TODAY)
    assert [row["trade"] for row in due] == ["overnight_bath"], "not inspected since September: overdue"
    assert match(configured(), "EmployeeHired", "02", ["overnight_bath"]).rule == "hired_special_trade"
