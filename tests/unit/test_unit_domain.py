"""The unit aggregate and its supervision rules, without the stack: identity, status, trades, staff, inspections."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.parties import PartyRef
from contracts.uscc import check_character
from contracts.unit import Licence, UnitRegistered
from services.kernel.base.errors import DomainRuleViolation, NotFound, StateConflict
from services.unit.domain.supervision import inspection_cycles, inspections_due, overdue_rectifications
from services.unit.domain.unit import Unit, UnitIdentity

TODAY = date(2026, 11, 20)


def identity(**changes) -> UnitIdentity:
    base = dict(name="蒙自天马宾馆", unit_type="enterprise", industry_code="H61", address_code="532503001500000000000018",
                address_name="蒙自市文澜街道天马路18号", division_code="532503001", uscc="91110108551385082Q",
                legal_representative=PartyRef(person_id="P-boss"), opened_on=date(2020, 5, 1),
                licences=[Licence(kind="营业执照", number="532503600123456", valid_from=date(2020, 5, 1))])
    return UnitIdentity(**{**base, **changes})


def unit(**changes) -> Unit:
    return Unit.register("U1", identity(**changes), TODAY)


def replay(aggregate: Unit) -> Unit:
    again = Unit(aggregate.id)
    for event in aggregate.pending:
        again.apply(event)
    return again


def test_registration_normalises_codes_and_owns_the_division():
    u = Unit.register("U1", identity(uscc="91110108551385082q", industry_code="h61"), TODAY)
    event = u.pending[0]
    assert isinstance(event, UnitRegistered)
    assert (event.uscc, event.industry_code, u.division_code, u.status) == (
        "91110108551385082Q", "H61", "532503001", "open")
    assert u.warnings == []


def test_a_unit_without_uscc_is_allowed_and_flagged():
    u = Unit.register("U1", identity(uscc=None, unit_type="individual_business"), TODAY)
    assert u.state["uscc"] is None and u.warnings[0].startswith("unit.no_uscc")


def test_identity_refusals_name_field_and_rule():
    cases = [(dict(uscc="91110108551385082A"), "uscc", "uscc.check"),
             (dict(industry_code="I61"), "industry_code", "industry.section_mismatch"),
             (dict(name="  "), "name", "required"),
             (dict(opened_on=date(2027, 1, 1)), "opened_on", "date.future"),
             (dict(licences=[Licence(kind="营业执照", number="1", valid_from=date(2020, 1, 2),
                                     valid_until=date(2020, 1, 1))]), "licences.0.valid_until",
              "licence.end_before_start")]
    for changes, field, rule in cases:
        with pytest.raises(DomainRuleViolation) as refused:
            Unit.register("U1", identity(**changes), TODAY)
        assert (refused.value.field, refused.value.rule) == (field, rule)


def test_unit_type_contradicting_the_uscc_is_a_warning():
    warnings = Unit.register("U1", identity(unit_type="individual_business"), TODAY).warnings
    assert any(w.startswith("unit.type_vs_uscc") for w in warnings)


def test_status_lifecycle_open_suspended_closed_reopened():
    u = unit()
    u.suspend(date(2026, 1, 10), TODAY, "装修")
    assert (u.status, u.state["status_since"]) == ("suspended", "2026-01-10")
    with pytest.raises(StateConflict):
        u.suspend(date(2026, 1, 11), TODAY)
    with pytest.raises(DomainRuleViolation) as refused:
        u.close(date(2026, 1, 9), TODAY)
    assert refused.value.rule == "status.before_previous"
    u.close(date(2026, 3, 1), TODAY, "注销")
    assert (u.status, u.state["closed_on"]) == ("closed", "2026-03-01")
    with pytest.raises(StateConflict):
        u.hire("P-1", "前台", date(2026, 3, 2), TODAY)
    u.reopen(date(2026, 6, 1), TODAY, "重新开业")
    assert (u.status, u.state["closed_on"]) == ("open", None)
    with pytest.raises(StateConflict):
        u.reopen(date(2026, 6, 2), TODAY)
    assert replay(u).state == u.state


def test_employees_hire_and_leave():
    u = unit()
    u.hire("P-1", "前台", date(2026, 1, 5), TODAY)
    u.hire("P-2", "保安", date(2026, 2, 1), TODAY)
    with pytest.raises(StateConflict):
        u.hire("P-1", "经理", date(2026, 3, 1), TODAY)
    with pytest.raises(DomainRuleViolation) as refused:
        u.leave("P-1", date(2026, 1, 1), TODAY)
    assert refused.value.rule == "employee.left_before_hired"
    u.leave("P-1", date(2026, 4, 1), TODAY)
    with pytest.raises(NotFound):
        u.leave("P-1", date(2026, 4, 2), TODAY)
    u.hire("P-1", "经理", date(2026, 5, 1), TODAY)  # rehired
    assert [(e["person_id"], e["position"], e["left"]) for e in u.state["employees"]] == [
        ("P-1", "前台", "2026-04-01"), ("P-2", "保安", None), ("P-1", "经理", None)]


def test_special_trade_inspection_cycle_and_overdue():
    u = unit()
    u.add_special_trade("hotel", date(2026, 9, 1), TODAY,
                        Licence(kind="特种行业许可证", number="滇公特旅字0001", valid_from=date(2026, 9, 1)))
    with pytest.raises(DomainRuleViolation) as refused:
        u.add_special_trade("casino", date(2026, 9, 1), TODAY)
    assert (refused.value.field, refused.value.rule) == ("trade", "special_trade.unknown")
    cycles = inspection_cycles()
    assert cycles["hotel"] == 30
    assert inspections_due(u.state, cycles, date(2026, 10, 1)) == []  # due on 10-01, not yet past
    due = inspections_due(u.state, cycles, date(2026, 10, 5))
    assert due == [{"trade": "hotel", "last_inspected_on": None, "due_on": "2026-10-01", "days_overdue": 4}]
    u.inspect("I1", date(2026, 10, 3), ["PC-1", "PC-2"], TODAY, findings="登记规范")
    assert inspections_due(u.state, cycles, date(2026, 11, 2)) == []
    assert inspections_due(u.state, cycles, date(2026, 11, 3))[0]["due_on"] == "2026-11-02"
    longer = inspection_cycles({"hotel": 60, "not-a-trade": 5})
    assert longer["hotel"] == 60 and "not-a-trade" not in longer
    assert inspections_due(u.state, longer, date(2026, 11, 20)) == []
    u.suspend(date(2026, 11, 5), TODAY)
    assert inspections_due(u.state, cycles, date(2026, 12, 20)) == []  # not open: not on a cycle
    u.reopen(date(2026, 11, 10), TODAY)
    u.remove_special_trade("hotel", date(2026, 11, 11), TODAY, "转为普通住宿")
    assert inspections_due(u.state, cycles, date(2027, 6, 1)) == []


def test_rectification_notice_deadline_and_follow_up():
    u = unit()
    with pytest.raises(DomainRuleViolation) as refused:
        u.inspect("I1", date(2026, 10, 3), ["PC-1"], TODAY, rectification_required=True)
    assert refused.value.field == "rectification_deadline"
    with pytest.raises(DomainRuleViolation) as refused:
        u.inspect("I1", date(2026, 10, 3), [" "], TODAY)
    assert refused.value.field == "inspectors"
    u.inspect("I1", date(2026, 10, 3), ["PC-1"], TODAY, findings="消防通道堵塞", rectification_required=True,
              rectification_notice="蒙公(文)限改字[2026]17号", rectification_deadline=date(2026, 10, 10))
    assert overdue_rectifications(u.state, date(2026, 10, 10)) == []
    late = overdue_rectifications(u.state, date(2026, 10, 12))
    assert late[0]["inspection_id"] == "I1" and late[0]["days_overdue"] == 2
    u.follow_up("I1", date(2026, 10, 12), "PC-1", rectified=False, today=TODAY, result="未整改")
    assert overdue_rectifications(u.state, date(2026, 10, 13)) != []
    u.follow_up("I1", date(2026, 10, 15), "PC-1", rectified=True, today=TODAY, result="已清理")
    assert overdue_rectifications(u.state, date(2026, 10, 20)) == []
    with pytest.raises(StateConflict):
        u.follow_up("I1", date(2026, 10, 16), "PC-1", rectified=True, today=TODAY)
    u.inspect("I2", date(2026, 10, 20), ["PC-1"], TODAY)
    with pytest.raises(StateConflict):
        u.follow_up("I2", date(2026, 10, 21), "PC-1", rectified=True, today=TODAY)
    with pytest.raises(NotFound):
        u.follow_up("I9", date(2026, 10, 21), "PC-1", rectified=True, today=TODAY)
    assert replay(u).state == u.state


def test_expired_licences_are_flagged_against_the_clock():
    from services.unit.domain.supervision import expired_licences

    u = unit(licences=[Licence(kind="营业执照", number="1", valid_from=date(2020, 1, 1), valid_until=date(2026, 6, 30))])
    u.add_special_trade("pawn", date(2026, 1, 1), TODAY, Licence(kind="典当经营许可证", number="2",
                                                                 valid_until=date(2027, 1, 1)))
    assert [lic["number"] for lic in expired_licences(u.state, date(2026, 7, 1))] == ["1"]
    assert [lic["number"] for lic in expired_licences(u.state, date(2027, 1, 2))] == ["1", "2"]
    assert expired_licences(u.state, date(2026, 6, 30)) == []


def test_corrections_change_only_what_is_given_and_recheck_codes():
    u = unit()
    u.correct("营业执照变更", name=" 蒙自天马酒店 ", industry_code="h62", capacity=150)
    assert (u.state["name"], u.state["industry_code"], u.state["capacity"], u.state["phone"]) == (
        "蒙自天马酒店", "H62", 150, "")
    with pytest.raises(DomainRuleViolation) as refused:
        u.correct("x", industry_code="I61")
    assert (refused.value.field, refused.value.rule) == ("industry_code", "industry.section_mismatch")
    with pytest.raises(DomainRuleViolation):
        u.correct("nothing")
    assert replay(u).state == u.state


def test_a_unit_without_uscc_records_one_later():
    u = Unit.register("U1", identity(uscc=None, unit_type="individual_business"), TODAY)
    u.record_uscc("92532503MA6K00017" + check_character("92532503MA6K00017"))
    assert u.state["uscc"].startswith("92532503") and u.pending[-1].previous is None
    with pytest.raises(DomainRuleViolation) as refused:
        u.record_uscc(u.state["uscc"])
    assert refused.value.rule == "uscc.unchanged"


def test_inspection_cycles_come_from_configuration(monkeypatch):
    from services.unit.config import UnitSettings

    monkeypatch.setenv("YBSS_UNIT_INSPECTION_CYCLE_DAYS", '{"hotel": 15, "pawn": 45}')
    cycles = UnitSettings().cycles
    assert (cycles["hotel"], cycles["pawn"], cycles["security_service"]) == (15, 45, 180)
