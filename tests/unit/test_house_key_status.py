"""管理等级与重点房屋 by request and approval, without the stack: nothing changes until a supervisor approves."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.house import HouseKeyStatusApproved, HouseKeyStatusRejected, HouseKeyStatusRequested
from services.kernel.base.errors import DomainRuleViolation, NotFound, StateConflict
from services.kernel.messaging.memory_reads import InMemoryReadModels
from tests.unit.test_house_domain import TODAY, house, replay


def requested(h=None, level="strict", key=True, key_reason="多次发现可疑人员出入", request_id="KS1"):
    h = h or house()
    h.request_key_status(request_id, level, key, key_reason, "近一月三次接报", "PC-1", TODAY)
    return h


def test_a_request_changes_nothing_until_approved():
    h = requested()
    event = h.pending[-1]
    assert isinstance(event, HouseKeyStatusRequested) and (event.requested_by, event.requested_on) == ("PC-1", TODAY)
    assert (h.state["management_level"], h.state["key_house"]) == ("normal", False)
    assert h.pending_key_status_request()["state"] == "pending"
    h.approve_key_status("KS1", "同意", "SV-1", TODAY)
    assert isinstance(h.pending[-1], HouseKeyStatusApproved)
    state = replay(h).state
    assert (state["management_level"], state["key_house"], state["key_reason"]) == ("strict", True, "多次发现可疑人员出入")
    assert state["key_status_requests"] == [{
        "request_id": "KS1", "management_level": "strict", "key_house": True, "key_reason": "多次发现可疑人员出入",
        "reason": "近一月三次接报", "requested_by": "PC-1", "requested_on": "2026-11-20", "state": "approved",
        "remark": "同意", "decided_by": "SV-1", "decided_on": "2026-11-20"}]


def test_a_rejected_request_leaves_the_house_as_it_was_and_a_new_one_may_follow():
    h = requested()
    with pytest.raises(DomainRuleViolation) as refused:
        h.reject_key_status("KS1", " ", "SV-1", TODAY)
    assert (refused.value.field, refused.value.rule) == ("remark", "required")
    h.reject_key_status("KS1", "依据不足", "SV-1", TODAY)
    assert isinstance(h.pending[-1], HouseKeyStatusRejected)
    assert (h.state["key_house"], h.pending_key_status_request()) == (False, None)
    requested(h, level="attention", key=False, key_reason="", request_id="KS2")
    assert [r["state"] for r in h.state["key_status_requests"]] == ["rejected", "pending"]


def test_one_pending_request_at_a_time_and_a_decided_one_is_not_decided_again():
    h = requested()
    with pytest.raises(StateConflict) as refused:
        requested(h, request_id="KS2")
    assert refused.value.rule == "house.key_status_pending"
    h.approve_key_status("KS1", "", "SV-1", TODAY)
    for decide in (lambda: h.approve_key_status("KS1", "", "SV-1", TODAY),
                   lambda: h.reject_key_status("KS1", "晚了", "SV-1", TODAY)):
        with pytest.raises(StateConflict) as refused:
            decide()
        assert refused.value.rule == "key_status_request.decided"
    with pytest.raises(NotFound):
        h.approve_key_status("KS9", "", "SV-1", TODAY)


@pytest.mark.parametrize(("level", "key", "key_reason", "reason", "field", "rule"), [
    ("strict", True, " ", "理由", "key_reason", "house.key_reason_required"),
    ("strict", True, "原因", " ", "reason", "required"),
    ("normal", False, "", "理由", "management_level", "key_status.unchanged"),
])
def test_a_request_breaking_a_rule_names_the_field(level, key, key_reason, reason, field, rule):
    h = house()
    with pytest.raises(DomainRuleViolation) as refused:
        h.request_key_status("KS1", level, key, key_reason, reason, "PC-1", TODAY)
    assert (refused.value.field, refused.value.rule) == (field, rule)


def test_a_demolished_house_takes_no_request_and_its_pending_one_is_not_approved():
    h = requested()
    h.demolish(TODAY, "拆除", TODAY)
    with pytest.raises(StateConflict):
        h.approve_key_status("KS1", "", "SV-1", TODAY)
    h.reject_key_status("KS1", "房屋已拆除", "SV-1", TODAY)
    with pytest.raises(StateConflict) as refused:
        requested(h, request_id="KS2")
    assert refused.value.rule == "house.demolished"


async def test_the_lists_show_pending_requests_and_key_houses_inside_the_scope():
    from services.house.projections import HOUSES, registry
    from services.house.views.key_houses import key_houses, key_status_requests

    reads = InMemoryReadModels()
    listed = requested()
    listed.approve_key_status("KS1", "同意", "SV-1", TODAY)
    waiting = requested(house(), request_id="KS2")
    other = requested(house(), request_id="KS3")
    documents = [{**listed.state, "_id": "H1"}, {**waiting.state, "_id": "H2"},
                 {**other.state, "_id": "H3", "division_code": "532502001"}]
    await reads.read_model(registry.name, HOUSES).insert_many(documents)
    scope = {"division_code": {"$regex": "^532503"}}
    pending = await key_status_requests(reads, scope).page(None, 10)
    assert pending["total"] == 1 and [(i["house_id"], i["request_id"], i["state"]) for i in pending["items"]] == [
        ("H2", "KS2", "pending")]
    assert pending["items"][0]["current_key_house"] is False and pending["items"][0]["requested_by"] == "PC-1"
    approved = await key_status_requests(reads, scope, "approved").page(None, 10)
    assert [i["request_id"] for i in approved["items"]] == ["KS1"]
    keys = await key_houses(reads, scope).page(None, 10)
    assert keys["total"] == 1 and keys["items"][0] == {
        "house_id": "H1", "address_code": listed.state["address_code"], "address_name": listed.state["address_name"],
        "division_code": "532503001", "use": "rented", "status": "active", "management_level": "strict",
        "key_reason": "多次发现可疑人员出入", "approved_on": "2026-11-20", "request_id": "KS1"}
    assert (await key_houses(reads, scope, "attention").page(None, 10))["total"] == 0


def test_the_openapi_examples_are_a_request_and_a_decision_the_domain_accepts():
    from services.house.app import build_app
    from services.house.commands import DecideKeyStatus, RequestKeyStatus
    from tests.unit.test_house_openapi import registration_example

    request = registration_example(build_app, "/v1/houses/{house_id}/key-status-requests")
    decision = registration_example(build_app, "/v1/houses/{house_id}/key-status-requests/{request_id}/approve")
    assert set(request) == set(RequestKeyStatus.model_fields) and set(decision) == set(DecideKeyStatus.model_fields)
    r, d = RequestKeyStatus.model_validate(request), DecideKeyStatus.model_validate(decision)
    h = house()
    h.request_key_status("KS1", r.management_level, r.key_house, r.key_reason, r.reason, "PC-1", TODAY)
    h.approve_key_status("KS1", d.remark, "SV-1", date(2026, 11, 20))
    assert h.state["key_house"] is r.key_house and h.state["management_level"] == r.management_level
