"""拆除/灭失 of a house, without the stack: its rentals end with the reason, then nothing new moves in."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.house import HouseDemolished, RentalEnded
from services.kernel.base.errors import DomainRuleViolation, StateConflict
from tests.unit.test_house_domain import TODAY, house, replay, terms


def rented_house():
    h = house()
    h.start_rental("R1", terms(rooms_let=1), TODAY)
    h.start_rental("R2", terms(rooms_let=1), TODAY)
    h.move_in("R1", "P-a", date(2026, 10, 2), TODAY)
    h.end_rental("R2", date(2026, 10, 20), TODAY, "到期")
    return h


def test_demolition_ends_the_current_rentals_with_the_reason_then_marks_the_house():
    h = rented_house()
    before = len(h.pending)
    h.demolish(date(2026, 11, 10), "旧城改造征收拆除", TODAY)
    new = h.pending[before:]
    assert [type(e) for e in new] == [RentalEnded, HouseDemolished], "only the still active rental is ended"
    assert (new[0].rental_id, new[0].ended_on, new[0].reason) == ("R1", date(2026, 11, 10), "旧城改造征收拆除")
    state = replay(h).state
    assert (state["status"], state["demolished_on"], state["demolished_reason"]) == (
        "demolished", "2026-11-10", "旧城改造征收拆除")
    r1 = next(r for r in state["rentals"] if r["rental_id"] == "R1")
    assert (r1["status"], r1["end_reason"], r1["tenants"][0]["moved_out"]) == ("ended", "旧城改造征收拆除", "2026-11-10")
    r2 = next(r for r in state["rentals"] if r["rental_id"] == "R2")
    assert r2["end_reason"] == "到期", "an ended rental keeps its own ending"


def test_a_demolished_house_takes_no_new_rental_tenant_or_second_demolition():
    h = rented_house()
    h.demolish(date(2026, 11, 10), "火灾灭失", TODAY)
    for attempt in (lambda: h.start_rental("R3", terms(rooms_let=1), TODAY),
                    lambda: h.move_in("R1", "P-b", date(2026, 11, 11), TODAY),
                    lambda: h.demolish(date(2026, 11, 12), "再次", TODAY)):
        with pytest.raises(StateConflict) as refused:
            attempt()
        assert refused.value.rule == "house.demolished"


@pytest.mark.parametrize(("on", "reason", "field", "rule"), [
    (date(2026, 11, 21), "拆除", "on", "date.future"),
    (date(2026, 10, 1), "拆除", "on", "house.demolished_before_rental"),  # a tenant moved in on 10-02
    (date(2026, 11, 10), "  ", "reason", "required"),
])
def test_a_demolition_breaking_a_rule_names_the_field(on, reason, field, rule):
    h = rented_house()
    before = len(h.pending)
    with pytest.raises(DomainRuleViolation) as refused:
        h.demolish(on, reason, TODAY)
    assert (refused.value.field, refused.value.rule) == (field, rule)
    assert len(h.pending) == before, "nothing recorded"


def test_a_house_never_let_is_simply_demolished():
    h = house()
    h.demolish(date(2026, 11, 1), "自然灾害灭失", TODAY)
    assert [type(e) for e in h.pending[1:]] == [HouseDemolished]


def test_the_openapi_example_is_a_complete_demolition_the_domain_accepts():
    from services.house.app import build_app
    from tests.unit.test_house_openapi import registration_example
    from services.house.commands import Demolish

    example = registration_example(build_app, "/v1/houses/{house_id}/demolish")  # as the service documents it
    command = Demolish.model_validate(example)
    assert set(example) == set(Demolish.model_fields), "every field shown"
    h = rented_house()
    h.demolish(command.on, command.reason, TODAY)
    assert replay(h).state["status"] == "demolished"
