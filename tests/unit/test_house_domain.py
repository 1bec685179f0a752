"""The house aggregate and its supervision rules, without the stack: rentals, tenants, group rental, checks."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.house import HouseRegistered, RentalEnded, RentalStarted, TenantMovedIn, TenantMovedOut
from contracts.parties import PartyRef
from services.house.domain.house import AddressFacts, House, RentalTerms
from services.house.domain.supervision import GroupRentalRule, unchecked_rentals
from services.kernel.base.errors import DomainRuleViolation, NotFound, StateConflict

TODAY = date(2026, 11, 20)
ROOM = AddressFacts(code="532503001620000000000017", kind="room", full_name="蒙自市文澜街道天马路18号3栋2单元1203室",
                    division_code="532503001")
OWNER = PartyRef(person_id="P-owner")
SECURITY = PartyRef(name="李四", document_type="id_card", document_number="11010519491231002X")


def house(use: str = "rented", rooms: int | None = 3, area: float | None = 90.0) -> House:
    return House.register("H1", ROOM, property_nature="commercial", use=use, rooms=rooms, area=area, owner=OWNER)


def terms(**changes) -> RentalTerms:
    base = dict(lessor=OWNER, lessor_role="owner", rooms_let=2, area_let=40.0, monthly_rent=1200.0,
                start=date(2026, 10, 1), end=date(2027, 9, 30), security_person=SECURITY,
                responsibility_letter_signed=date(2026, 10, 1))
    return RentalTerms(**{**base, **changes})


def replay(aggregate: House) -> House:
    """The same events folded afresh: what the repository does on the next load."""
    again = House(aggregate.id)
    for event in aggregate.pending:
        again.apply(event)
    return again


def test_register_records_the_address_and_owning_division():
    h = house()
    event = h.pending[0]
    assert isinstance(event, HouseRegistered)
    assert (event.address_code, event.division_code, event.address_kind) == (ROOM.code, "532503001", "room")
    assert h.division_code == "532503001" and h.stream_type == "House" and h.id == "house-H1"


def test_a_key_house_needs_a_reason():
    with pytest.raises(DomainRuleViolation) as refused:
        House.register("H1", ROOM, property_nature="private", use="rented", key_house=True)
    assert refused.value.field == "key_reason"


def test_rental_lifecycle_tenants_join_and_leave_then_rental_ends():
    h = house()
    assert h.start_rental("R1", terms(), TODAY) == []
    h.move_in("R1", "P-a", date(2026, 10, 2), TODAY)
    h.move_in("R1", "P-b", date(2026, 10, 5), TODAY)
    h.move_out("R1", "P-a", date(2026, 11, 1), TODAY)
    rental = h.state["rentals"][0]
    assert [(t["person_id"], t["moved_out"]) for t in rental["tenants"]] == [("P-a", "2026-11-01"), ("P-b", None)]
    h.end_rental("R1", date(2026, 11, 15), TODAY, reason="合同解除")
    rental = h.state["rentals"][0]
    assert rental["status"] == "ended" and rental["ended_on"] == "2026-11-15"
    assert [t["moved_out"] for t in rental["tenants"]] == ["2026-11-01", "2026-11-15"]  # the one still in leaves
    assert [type(e) for e in h.pending[1:]] == [RentalStarted, TenantMovedIn, TenantMovedIn, TenantMovedOut,
                                                RentalEnded]
    assert replay(h).state == h.state
    with pytest.raises(StateConflict) as refused:
        h.move_in("R1", "P-c", date(2026, 11, 16), TODAY)
    assert refused.value.rule == "rental.ended"


def test_rental_rules_name_their_field():
    h = house(rooms=3, area=90)
    cases = [(dict(end=date(2026, 9, 1)), "end", "rental.end_before_start"),
             (dict(rooms_let=4), "rooms_let", "rental.rooms_exceed_house"),
             (dict(area_let=100.0), "area_let", "rental.area_exceeds_house"),
             (dict(responsibility_letter_signed=date(2026, 12, 1)), "responsibility_letter_signed", "date.future")]
    for changes, field, rule in cases:
        with pytest.raises(DomainRuleViolation) as refused:
            h.start_rental("R1", terms(**changes), TODAY)
        assert (refused.value.field, refused.value.rule) == (field, rule)
    h.start_rental("R1", terms(rooms_let=2), TODAY)
    with pytest.raises(DomainRuleViolation):  # rooms already let count against the house
        h.start_rental("R2", terms(rooms_let=2), TODAY)


def test_tenant_rules():
    h = house()
    h.start_rental("R1", terms(), TODAY)
    for moved_in, rule in [(date(2026, 9, 30), "tenant.before_rental"), (date(2026, 11, 21), "date.future")]:
        with pytest.raises(DomainRuleViolation) as refused:
            h.move_in("R1", "P-a", moved_in, TODAY)
        assert (refused.value.field, refused.value.rule) == ("moved_in", rule)
    h.move_in("R1", "P-a", date(2026, 10, 2), TODAY)
    with pytest.raises(StateConflict):
        h.move_in("R1", "P-a", date(2026, 10, 3), TODAY)
    with pytest.raises(NotFound):
        h.move_in("R9", "P-b", date(2026, 10, 3), TODAY)
    with pytest.raises(NotFound):
        h.move_out("R1", "P-nobody", date(2026, 10, 3), TODAY)
    with pytest.raises(DomainRuleViolation) as refused:
        h.move_out("R1", "P-a", date(2026, 10, 1), TODAY)
    assert refused.value.rule == "tenant.out_before_in"
    h.move_out("R1", "P-a", date(2026, 10, 9), TODAY)
    h.move_in("R1", "P-a", date(2026, 10, 20), TODAY)  # the same person may come back
    assert len(h.state["rentals"][0]["tenants"]) == 2


def test_letting_a_house_whose_use_is_not_rented_is_reported_not_refused():
    h = house(use="self_occupied")
    errors = h.start_rental("R1", terms(), TODAY)
    assert [e["type"] for e in errors] == ["house.let_not_rented"]
    errors = h.move_in("R1", "P-a", date(2026, 10, 2), TODAY)
    assert [e["type"] for e in errors] == ["house.tenant_not_rented"] and errors[0]["msg_zh"]
    h.change_use("rented", "登记出租")
    assert h.logic_errors() == []


def test_group_rental_rule_is_configurable():
    h = house(rooms=3, area=90)
    h.start_rental("R1", terms(rooms_let=2, area_let=40.0), TODAY)
    for index in range(4):
        h.move_in("R1", f"P-{index}", date(2026, 10, 2), TODAY)
    default = GroupRentalRule()
    assert default.flags(h.state) == {}  # 4 in 2 rooms, 10 m² each: within 2 per room and 5 m²
    h.move_in("R1", "P-4", date(2026, 10, 3), TODAY)
    assert list(default.flags(h.state)) == ["R1"] and "per room" in default.flags(h.state)["R1"][0]
    strict_area = GroupRentalRule(max_tenants_per_room=10, min_area_per_tenant=12)
    assert "m² per tenant" in strict_area.flags(h.state)["R1"][0]
    assert GroupRentalRule(max_tenants_per_room=3, min_area_per_tenant=1).flags(h.state) == {}
    h.end_rental("R1", date(2026, 11, 1), TODAY)
    assert default.flags(h.state) == {}  # an ended rental is nobody's group rental


def test_unchecked_rentals_of_the_month_against_a_set_clock():
    h = house()
    h.start_rental("R1", terms(start=date(2026, 10, 1)), TODAY)
    state = h.state
    assert [r["rental_id"] for r in unchecked_rentals(state, date(2026, 11, 20))] == ["R1"]
    assert unchecked_rentals(state, date(2026, 9, 30)) == []  # not let yet
    h.check("C1", date(2026, 11, 3), "PC-530001", anyone_home=True, today=TODAY)
    assert unchecked_rentals(h.state, date(2026, 11, 20)) == []
    assert unchecked_rentals(h.state, date(2026, 11, 2)) != []  # the check lies after that day
    assert [r["rental_id"] for r in unchecked_rentals(h.state, date(2026, 12, 1))] == ["R1"]  # new month
    h.end_rental("R1", date(2026, 11, 10), TODAY)
    assert unchecked_rentals(h.state, date(2026, 12, 5)) == []  # ended last month
    assert unchecked_rentals(h.state, date(2026, 11, 25)) == []  # checked this month


def test_checks_record_what_was_found():
    h = house()
    with pytest.raises(DomainRuleViolation) as refused:
        h.check("C1", date(2026, 11, 3), "PC-1", anyone_home=False, today=TODAY, abnormal=True)
    assert refused.value.field == "abnormal_detail"
    with pytest.raises(DomainRuleViolation):
        h.check("C1", date(2026, 11, 21), "PC-1", anyone_home=False, today=TODAY)
    h.check("C1", date(2026, 11, 3), "PC-1", anyone_home=False, today=TODAY, abnormal=True,
            abnormal_detail="门锁被撬", remark="已通知房主")
    assert h.state["checks"][0]["abnormal_detail"] == "门锁被撬"


def test_owner_and_key_status_changes():
    h = house()
    h.change_owner(PartyRef(unit_id="U-1"), "出售")
    h.set_key_status("strict", True, "涉嫌传销窝点")
    assert h.state["owner"]["unit_id"] == "U-1" and h.state["key_house"] and h.state["management_level"] == "strict"
    with pytest.raises(DomainRuleViolation):
        h.change_use("rented")
    assert replay(h).state == h.state


def test_corrections_keep_the_rooms_let_inside_the_house():
    h = house(rooms=3)
    h.start_rental("R1", terms(rooms_let=2), TODAY)
    with pytest.raises(DomainRuleViolation) as refused:
        h.correct("实地核查", rooms=1)
    assert (refused.value.field, refused.value.rule) == ("rooms", "house.rooms_below_let")
    h.correct("实地核查", area=95.5, rooms=4)
    assert (h.state["area"], h.state["rooms"], h.state["property_nature"]) == (95.5, 4, "commercial")
    assert replay(h).state == h.state


def test_the_group_rental_rule_comes_from_configuration(monkeypatch):
    from services.house.config import HouseSettings

    monkeypatch.setenv("YBSS_HOUSE_GROUP_RENTAL_MAX_TENANTS_PER_ROOM", "3")
    monkeypatch.setenv("YBSS_HOUSE_GROUP_RENTAL_MIN_AREA_PER_TENANT", "8")
    assert HouseSettings().group_rental == GroupRentalRule(max_tenants_per_room=3, min_area_per_tenant=8)
