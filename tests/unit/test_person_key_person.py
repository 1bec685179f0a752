"""The key-person (重点人员) state machine: legal steps, illegal ones refused naming the state."""

from __future__ import annotations

import pytest

from contracts.person import KeyPersonListingApplied, KeyPersonState
from services.kernel.base.errors import DomainRuleViolation, StateConflict
from services.person.domain.key_person import KeyPerson


def applied(category: str = "04") -> KeyPerson:
    return KeyPerson.apply_for_listing(KeyPersonListingApplied(
        key_person_id="K-1", person_id="P-1", category_code=category, problem="吸毒前科", responsible_unit="文澜派出所",
        responsible_officer="PC-0001", control_level="2", division_code="532503001"))


def listed() -> KeyPerson:
    key_person = applied()
    key_person.approve("同意列管")
    return key_person


def test_full_lifecycle_listing_to_release():
    key_person = applied()
    assert key_person.state == KeyPersonState.applied and key_person.division_code == "532503001"
    assert key_person.approve("同意") == "listing" and key_person.state == KeyPersonState.listed
    key_person.apply_for_release("已戒断三年")
    assert key_person.state == KeyPersonState.release_applied
    assert key_person.reject("尚需观察") == "release" and key_person.state == KeyPersonState.listed
    key_person.apply_for_release("已戒断四年")
    assert key_person.approve("同意撤管") == "release" and key_person.state == KeyPersonState.released
    assert [e.event_type() for e in key_person.pending] == [
        "KeyPersonListingApplied", "KeyPersonListed", "KeyPersonReleaseApplied", "KeyPersonReleaseRejected",
        "KeyPersonReleaseApplied", "KeyPersonReleased"]


def test_transfer_moves_the_jurisdiction_on_approval():
    key_person = listed()
    key_person.request_transfer("532503002", "雨过铺派出所", "PC-0200", "迁居")
    assert key_person.division_code == "532503001"
    assert key_person.approve("同意转递") == "transfer"
    assert key_person.division_code == "532503002" and key_person.responsible_unit == "雨过铺派出所"


def test_recategorization_and_its_rejection():
    key_person = listed()
    key_person.request_recategorization("05", "新的犯罪记录")
    assert key_person.reject("证据不足") == "recategorization" and key_person.category_code == "04"
    key_person.request_recategorization("05", "新的犯罪记录")
    key_person.approve("")
    assert key_person.category_code == "05"


def test_rejected_listing_is_final():
    key_person = applied()
    key_person.reject("不符合列管条件")
    assert key_person.state == KeyPersonState.rejected
    with pytest.raises(StateConflict) as error:
        key_person.approve("")
    assert "rejected" in error.value.message and error.value.rule == "key_person.illegal_transition"


@pytest.mark.parametrize("step", [
    lambda k: k.apply_for_release("x"), lambda k: k.request_transfer("532503002", "u", None, "x"),
    lambda k: k.request_recategorization("05", "x"),
])
def test_requests_need_a_listed_person(step):
    with pytest.raises(StateConflict) as error:
        step(applied())
    assert "applied (列管申请)" in error.value.message and "列管申请" in error.value.message_zh


def test_released_person_cannot_be_approved_or_released_again():
    key_person = listed()
    key_person.apply_for_release("x")
    key_person.approve("")
    for step in (lambda k: k.approve(""), lambda k: k.apply_for_release("x"), lambda k: k.reject("no")):
        with pytest.raises(StateConflict) as error:
            step(key_person)
        assert "released (已撤管)" in error.value.message


def test_one_pending_request_at_a_time_and_listed_alone_has_nothing_to_approve():
    key_person = listed()
    with pytest.raises(StateConflict):
        key_person.approve("")
    key_person.request_transfer("532503002", "u", None, "x")
    with pytest.raises(StateConflict) as error:
        key_person.request_recategorization("05", "x")
    assert "pending transfer" in error.value.message


def test_categories_come_from_the_shipped_table_and_rejections_need_reasons():
    with pytest.raises(DomainRuleViolation) as error:
        applied("77")
    assert (error.value.field, error.value.rule) == ("category_code", "key_person.category_unknown")
    with pytest.raises(DomainRuleViolation) as error:
        applied().reject("  ")
    assert error.value.field == "remark"
