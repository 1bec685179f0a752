"""迁址 of a unit, without the stack: its address and division change, its employees and inspections stay."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.unit import UnitRelocated
from services.kernel.base.errors import DomainRuleViolation, StateConflict
from tests.unit.test_unit_domain import TODAY, replay, unit

ELSEWHERE = "532503002500000000000042"


def staffed_unit():
    u = unit()
    u.hire("P-clerk", "前台", date(2026, 1, 5), TODAY)
    u.inspect("I1", date(2026, 10, 3), ["PC-1"], TODAY, findings="消防通道堵塞")
    return u


def test_relocation_moves_address_and_division_and_keeps_the_history():
    u = staffed_unit()
    u.relocate(ELSEWHERE, "蒙自市雨过铺街道新安所路42号", "532503002", date(2026, 11, 1), TODAY)
    event = u.pending[-1]
    assert isinstance(event, UnitRelocated)
    assert (event.previous_address_code, event.previous_division_code) == ("532503001500000000000018", "532503001")
    again = replay(u)
    assert again.division_code == "532503002", "the jurisdiction follows the address"
    state = again.state
    assert (state["address_code"], state["address_name"], state["relocated_on"]) == (
        ELSEWHERE, "蒙自市雨过铺街道新安所路42号", "2026-11-01")
    assert [e["person_id"] for e in state["employees"]] == ["P-clerk"]
    assert [i["inspection_id"] for i in state["inspections"]] == ["I1"]


@pytest.mark.parametrize(("address_code", "moved_on", "field", "rule"), [
    ("532503001500000000000018", date(2026, 11, 1), "address_code", "unit.same_address"),
    (ELSEWHERE, date(2026, 11, 21), "moved_on", "date.future"),
    (ELSEWHERE, date(2019, 1, 1), "moved_on", "unit.moved_before_previous"),  # opened 2020-05-01
])
def test_a_relocation_breaking_a_rule_names_the_field(address_code, moved_on, field, rule):
    u = staffed_unit()
    with pytest.raises(DomainRuleViolation) as refused:
        u.relocate(address_code, None, "532503002", moved_on, TODAY)
    assert (refused.value.field, refused.value.rule) == (field, rule)


def test_a_closed_unit_is_not_relocated():
    u = staffed_unit()
    u.close(date(2026, 11, 2), TODAY, "歇业")
    with pytest.raises(StateConflict) as refused:
        u.relocate(ELSEWHERE, None, "532503002", date(2026, 11, 3), TODAY)
    assert refused.value.rule == "unit.closed"


def test_whereabouts_show_an_employee_at_the_unit_s_new_address():
    """查人知住 folds UnitRelocated too: the employer's address and division in a person's answer follow the move."""
    from services.person.watch.projection import watch
    from services.person.whereabouts import unit_slices, whereabouts

    assert "UnitRelocated" in whereabouts.handlers and "HouseDemolished" in whereabouts.handlers
    assert "UnitRelocated" in watch.handlers, "the key-person watch's copy of the unit follows the move too"
    u = staffed_unit()
    u.relocate(ELSEWHERE, "新安所路42号", "532503002", date(2026, 11, 1), TODAY)
    employer = unit_slices("U1", replay(u).state)["P-clerk"]
    assert (employer["address_code"], employer["division_code"]) == (ELSEWHERE, "532503002")


def test_the_openapi_example_is_a_complete_relocation_the_domain_accepts():
    from services.unit.app import build_app
    from tests.unit.test_house_openapi import registration_example
    from services.unit.commands import Relocate

    example = registration_example(build_app, "/v1/units/{unit_id}/relocate")  # as the service documents it
    command = Relocate.model_validate(example)
    assert set(example) == set(Relocate.model_fields), "every field shown"
    u = staffed_unit()
    assert u.version + len(u.pending) == command.expected_version, "the example's version is the story's"
    u.relocate(command.address_code, None, "532503002", command.moved_on, TODAY)
    assert replay(u).state["address_code"] == command.address_code
