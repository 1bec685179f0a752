"""居住事由 / 居住类型 / 房主或寄住户主变更 (issue 18): its own command and event on the open residence (the person
stays at the same address), refused naming the field when there is no open residence, nothing changes or the host
is not a registered, active person."""

from __future__ import annotations

from datetime import date

import pytest

from services.kernel.base.errors import DomainRuleViolation
from services.person.commands import CancelPerson, ChangeResidenceDetails, MoveIn
from tests.identities import unique_id_number
from tests.unit.test_person_application import CTX, PLATE, body, service
from tests.unit.test_person_domain import registered

TODAY = date(2026, 11, 27)


def a_body(born: date):
    return body(document_number=unique_id_number(born), sex="female", birth_date=str(born))


def living() -> object:
    person = registered("migrant")
    person.move_in("A", date(2026, 11, 21), "务工", TODAY, residence_type="rental", owner_name="王强")
    return person


def test_the_open_residence_changes_by_its_own_event_and_keeps_its_address_and_dates():
    person = living()
    person.change_residence_details(date(2026, 11, 25), TODAY, residence_reason="经商", residence_type="lodging",
                                    host_person_id="P-2")
    event = person.pending[-1]
    assert event.event_type() == "ResidenceDetailsChanged" and event.address_code == "A"
    (residence,) = person.state["residences"]
    assert (residence["address_code"], residence["moved_in"], residence["moved_out"], residence["reason"],
            residence["residence_type"], residence["host_person_id"]) == \
        ("A", "2026-11-21", None, "经商", "lodging", "P-2")


def test_a_field_not_given_stays_as_it_was():
    person = living()
    person.change_residence_details(date(2026, 11, 25), TODAY, residence_type="lodging")
    assert person.pending[-1].model_dump(exclude={"person_id", "address_code", "changed_on"}) == {
        "residence_reason": None, "residence_type": "lodging", "host_person_id": None}
    (residence,) = person.state["residences"]
    assert (residence["reason"], residence["residence_type"]) == ("务工", "lodging")


def test_only_an_open_residence_changes():
    person = living()
    person.move_out(date(2026, 11, 24), "返乡", TODAY)
    with pytest.raises(DomainRuleViolation) as refused:
        person.change_residence_details(date(2026, 11, 25), TODAY, residence_type="lodging")
    assert (refused.value.field, refused.value.rule) == ("residence", "residence.none")


@pytest.mark.parametrize("changes, field, rule", [
    ({}, "residence_reason", "residence_details.empty"),
    ({"residence_reason": "务工"}, "residence_reason", "residence_details.unchanged"),
    ({"residence_type": "rental", "residence_reason": "务工"}, "residence_type", "residence_details.unchanged"),
    ({"host_person_id": "P-1"}, "host_person_id", "host.self"),
])
def test_nothing_changed_is_refused_naming_the_field(changes, field, rule):
    with pytest.raises(DomainRuleViolation) as refused:
        living().change_residence_details(date(2026, 11, 25), TODAY, **changes)
    assert (refused.value.field, refused.value.rule) == (field, rule)


@pytest.mark.parametrize("changed_on, rule", [(date(2026, 11, 28), "date.future"),
                                              (date(2026, 11, 20), "date.before_move_in")])
def test_the_change_date_is_checked_naming_the_field(changed_on, rule):
    with pytest.raises(DomainRuleViolation) as refused:
        living().change_residence_details(changed_on, TODAY, residence_type="lodging")
    assert (refused.value.field, refused.value.rule) == ("changed_on", rule)


async def test_the_host_must_be_a_registered_active_person():
    svc, store = service()
    lodger = await svc.register(body(), CTX)
    await svc.move_in(lodger.person_id, MoveIn(address_code=PLATE, moved_in="2026-11-20", reason="寄住"), CTX)
    with pytest.raises(DomainRuleViolation) as unknown:
        await svc.change_residence_details(lodger.person_id, ChangeResidenceDetails(
            host_person_id="P-nobody", changed_on="2026-11-25"), CTX)
    assert (unknown.value.field, unknown.value.rule) == ("host_person_id", "person.unknown")
    host = await svc.register(a_body(date(1990, 3, 7)), CTX)
    await svc.cancel(host.person_id, CancelPerson(reason="moved_away", cancelled_on="2026-11-26"), CTX)
    with pytest.raises(DomainRuleViolation) as cancelled:
        await svc.change_residence_details(lodger.person_id, ChangeResidenceDetails(
            host_person_id=host.person_id, changed_on="2026-11-25"), CTX)
    assert (cancelled.value.field, cancelled.value.rule) == ("host_person_id", "person.cancelled")
    living_host = await svc.register(a_body(date(1985, 6, 15)), CTX)
    await svc.change_residence_details(lodger.person_id, ChangeResidenceDetails(
        host_person_id=living_host.person_id, residence_type="lodging", changed_on="2026-11-25"), CTX)
    event = store.streams[lodger.stream_id][-1]
    assert (event.event_type, event.payload["host_person_id"]) == ("ResidenceDetailsChanged", living_host.person_id)

