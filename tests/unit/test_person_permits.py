"""居住证 issued or renewed, 停留期限 changed (issue 18): their own commands and events, refused for a category that has
no such permit (naming the rule), and the deadline flags follow the record at once."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from contracts.person_deadlines import DeadlineFacts, Flag, flags
from services.kernel.base.errors import DomainRuleViolation, StateConflict
from services.person.app import build_app
from services.person.commands import ChangeResidenceDetails, ChangeStay, IssueResidencePermit, RegisterHousehold
from tests.unit.test_person_domain import registered

TODAY = date(2026, 11, 27)
AS_OF = datetime(2026, 11, 27, 4, 0, tzinfo=timezone.utc)


def flags_of(person) -> list[Flag]:
    return flags(DeadlineFacts.of(person.state["category"], person.status, AS_OF, person.state["details"]), AS_OF)


def test_a_permit_issued_then_renewed_moves_the_expiring_flag():
    person = registered("migrant")
    assert flags_of(person) == []
    person.issue_residence_permit("53250320260009", date(2026, 11, 20), date(2026, 12, 7), TODAY)
    assert person.pending[-1].event_type() == "ResidencePermitIssued"
    assert person.details.residence_permit_number == "53250320260009"
    assert flags_of(person) == [Flag.residence_permit_expiring]
    person.issue_residence_permit("53250320260010", date(2026, 11, 27), date(2027, 11, 26), TODAY)
    assert person.details.residence_permit_expiry == date(2027, 11, 26) and flags_of(person) == []
    assert [e.event_type() for e in person.pending].count("ResidencePermitIssued") == 2, "a renewal is an event too"


@pytest.mark.parametrize("issued_on, expires_on, field, rule", [
    (date(2026, 11, 28), date(2027, 11, 27), "issued_on", "date.future"),
    (date(2026, 11, 20), date(2026, 11, 20), "expires_on", "date.not_after_issue"),
])
def test_permit_dates_are_checked_naming_the_field(issued_on, expires_on, field, rule):
    with pytest.raises(DomainRuleViolation) as refused:
        registered("migrant").issue_residence_permit("53250320260009", issued_on, expires_on, TODAY)
    assert (refused.value.field, refused.value.rule) == (field, rule)


def test_the_same_permit_again_is_refused():
    person = registered("migrant")
    person.issue_residence_permit("53250320260009", date(2026, 11, 20), date(2027, 11, 19), TODAY)
    with pytest.raises(DomainRuleViolation, match="already holds"):
        person.issue_residence_permit("53250320260009", date(2026, 11, 20), date(2027, 11, 19), TODAY)


@pytest.mark.parametrize("category", ["registered", "lodger", "foreigner", "unregistered"])
def test_only_a_migrant_is_issued_a_residence_permit(category):
    with pytest.raises(DomainRuleViolation) as refused:
        registered(category).issue_residence_permit("53250320260009", date(2026, 11, 20), date(2027, 11, 19), TODAY)
    assert (refused.value.field, refused.value.rule) == ("category", "residence_permit.not_migrant")


def test_a_stay_extended_clears_the_overstay_and_keeps_the_visa_unless_given():
    person = registered("foreigner", permitted_stay_until="2026-11-25")
    assert Flag.foreigner_overstay in flags_of(person)
    person.change_stay(date(2027, 2, 25), None, None)
    assert person.pending[-1].event_type() == "StayPermitChanged" and Flag.foreigner_overstay not in flags_of(person)
    assert (person.details.visa_type, person.details.visa_number) == ("Z", "V12345678")
    person.change_stay(date(2027, 2, 25), "S1", "V7")
    assert (person.details.visa_type, person.details.visa_number) == ("S1", "V7")


def test_stay_rules_name_the_field_and_the_category():
    foreigner = registered("foreigner")
    with pytest.raises(DomainRuleViolation) as before_entry:
        foreigner.change_stay(date(2026, 11, 1), None, None)
    assert (before_entry.value.field, before_entry.value.rule) == ("permitted_stay_until", "date.before_entry")
    with pytest.raises(DomainRuleViolation) as unchanged:
        foreigner.change_stay(date(2027, 5, 17), "Z", None)
    assert unchanged.value.rule == "stay.unchanged"
    with pytest.raises(DomainRuleViolation) as migrant:
        registered("migrant").change_stay(date(2027, 5, 17), None, None)
    assert (migrant.value.field, migrant.value.rule) == ("category", "stay.not_foreigner")


def test_a_cancelled_person_gets_no_permit():
    person = registered("migrant")
    person.cancel("moved_away", TODAY, "", TODAY)
    with pytest.raises(StateConflict):
        person.issue_residence_permit("53250320260009", date(2026, 11, 20), date(2027, 11, 19), TODAY)


@pytest.mark.parametrize("path, command", [("/v1/persons/{person_id}/residence-permit", IssueResidencePermit),
                                           ("/v1/persons/{person_id}/stay", ChangeStay),
                                           ("/v1/persons/{person_id}/residence-details", ChangeResidenceDetails),
                                           ("/v1/persons/{person_id}/register-household", RegisterHousehold)])
def test_the_openapi_example_is_complete_and_valid(path, command):
    spec = build_app().openapi()
    name = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    example = spec["components"]["schemas"][name]["examples"][0]
    assert set(example) == set(command.model_fields), "every field shown"
    command.model_validate(example)
