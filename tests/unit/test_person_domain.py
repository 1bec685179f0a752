"""The person aggregate and its rules (pure): categories, identity agreement, residence, cancellation, merges."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from pydantic import TypeAdapter, ValidationError

from contracts.person_codes import ethnicities, ethnicity_code, key_person_categories
from contracts.person import CategoryDetails, PersonRegistered
from contracts.phone import PhoneError, normalize_phone
from services.kernel.base.errors import DomainRuleViolation, StateConflict
from services.person.domain.categories import check_details
from services.person.domain.identity import checked_identity
from services.person.domain.person import Person

TODAY = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)
DETAILS = TypeAdapter(CategoryDetails)

EXAMPLES = {
    "registered": {"category": "registered", "household_number": "532503001234", "relation_to_head": "户主",
                   "lives_at_registered_address": True},
    "lodger": {"category": "lodger", "lodging_type": "亲属寄住", "lodging_reason": "就学", "start_date": "2026-09-01",
               "relation_to_owner": "外甥", "owner_name": "李华"},
    "migrant": {"category": "migrant", "residence_reason": "work", "arrival_date": "2026-11-20", "origin": "四川省广安市",
                "residence_type": "rental", "owner_name": "王强"},
    "foreigner": {"category": "foreigner", "nationality": "LAO", "foreign_name": "SOMPHONE KEO", "visa_type": "Z",
                  "visa_number": "V12345678", "entry_date": "2026-11-18", "permitted_stay_until": "2027-05-17",
                  "accommodation": "rental", "arrived_at": "2026-11-19T10:00:00+08:00"},
    "unregistered": {"category": "unregistered", "reason_not_registered": "超生未落户"},
}
REQUIRED = {
    "registered": ["household_number", "relation_to_head", "lives_at_registered_address"],
    "lodger": ["lodging_type", "lodging_reason", "start_date", "relation_to_owner", "owner_name"],
    "migrant": ["residence_reason", "arrival_date", "origin", "residence_type"],
    "foreigner": ["nationality", "foreign_name", "visa_type", "visa_number", "entry_date", "permitted_stay_until",
                  "accommodation", "arrived_at"],
    "unregistered": ["reason_not_registered"],
}


@pytest.mark.parametrize("category", list(EXAMPLES))
def test_each_category_example_is_valid(category):
    details = check_details(DETAILS.validate_python(EXAMPLES[category]), TODAY, NOW)
    assert details.category == category


@pytest.mark.parametrize("category, field", [(c, f) for c, fields in REQUIRED.items() for f in fields])
def test_each_category_requires_its_fields(category, field):
    body = {key: value for key, value in EXAMPLES[category].items() if key != field}
    with pytest.raises(ValidationError) as error:
        DETAILS.validate_python(body)
    assert error.value.errors()[0]["loc"][-1] == field


def test_a_field_of_another_category_is_refused():
    with pytest.raises(ValidationError):
        DETAILS.validate_python({**EXAMPLES["unregistered"], "visa_type": "Z"})


@pytest.mark.parametrize("category, change, field, rule", [
    ("lodger", {"expected_leave_date": "2026-08-01"}, "expected_leave_date", "date.before_start"),
    ("migrant", {"arrival_date": "2026-12-01"}, "arrival_date", "date.future"),
    ("migrant", {"owner_name": None}, "owner_name", "rental.owner_required"),
    ("migrant", {"residence_permit_number": "5325032026"}, "residence_permit_expiry", "permit.expiry_required"),
    ("foreigner", {"permitted_stay_until": "2026-11-01"}, "permitted_stay_until", "date.before_entry"),
    ("foreigner", {"arrived_at": "2026-11-10T10:00:00+08:00"}, "arrived_at", "date.before_entry"),
    ("registered", {"moved_in_on": "2027-01-01"}, "moved_in_on", "date.future"),
])
def test_date_and_dependency_rules_name_the_field(category, change, field, rule):
    with pytest.raises(DomainRuleViolation) as error:
        check_details(DETAILS.validate_python({**EXAMPLES[category], **change}), TODAY, NOW)
    assert (error.value.field, error.value.rule) == (field, rule)


def test_a_migrant_in_a_rental_is_renting():
    assert check_details(DETAILS.validate_python(EXAMPLES["migrant"]), TODAY, NOW).renting is True


def test_sex_and_birth_date_must_agree_with_the_number_unless_legacy_import():
    identity, errors = checked_identity("resident_id", "11010519491231002X", None, "female", date(1949, 12, 31), TODAY)
    assert identity.number == "11010519491231002X" and errors == []
    with pytest.raises(DomainRuleViolation) as error:
        checked_identity("resident_id", "11010519491231002X", None, "male", date(1949, 12, 31), TODAY)
    assert (error.value.field, error.value.rule) == ("sex", "sex.contradicts_document")
    with pytest.raises(DomainRuleViolation) as error:
        checked_identity("resident_id", "11010519491231002X", None, "female", date(1950, 1, 1), TODAY)
    assert error.value.field == "birth_date"
    _, errors = checked_identity("resident_id", "11010519491231002X", None, "male", date(1950, 1, 1), TODAY,
                                 legacy_import=True)
    assert [e.rule for e in errors] == ["sex.contradicts_document", "birth_date.contradicts_document"]


def test_identity_errors_become_422_on_document_number():
    with pytest.raises(DomainRuleViolation) as error:
        checked_identity("resident_id", "110105194912310021", None, "female", date(1949, 12, 31), TODAY)
    assert (error.value.field, error.value.rule) == ("document_number", "id.check_character")


def test_code_tables_and_phones():
    assert ethnicities()["01"] == "汉族" and ethnicities()["16"] == "哈尼族" and len(ethnicities()) == 58
    assert ethnicity_code("彝族") == "07" and ethnicity_code("7") == "07" and ethnicity_code("火星族") is None
    assert key_person_categories()["03"] == "在逃人员"
    assert normalize_phone("138 0013 8000") == "+8613800138000"
    assert normalize_phone("0873-3721234") == "+868733721234"
    with pytest.raises(PhoneError):
        normalize_phone("12345")


def registered(category: str = "migrant", **details) -> Person:
    event = PersonRegistered(
        person_id="P-1", document_type="resident_id", document_number="11010519491231002X", name="张丽", sex="female",
        birth_date=date(1949, 12, 31), category=category,
        details=DETAILS.validate_python({**EXAMPLES[category], **details}), division_code="532503001")
    return Person.register(event, TODAY)


def test_registration_sets_the_division_and_a_migrant_registration_term():
    person = registered()
    assert person.division_code == "532503001" and person.pending[0].event_type() == "PersonRegistered"
    assert person.details.registration_valid_until == date(2027, 11, 27)


def test_category_change_is_an_event_and_the_same_category_is_refused():
    person = registered()
    person.change_category(DETAILS.validate_python(EXAMPLES["registered"]), "落户", TODAY)
    assert person.category == "registered" and person.pending[-1].event_type() == "PersonCategoryChanged"
    with pytest.raises(DomainRuleViolation):
        person.change_category(DETAILS.validate_python(EXAMPLES["registered"]), "again", TODAY)


def test_residence_moves_keep_history_and_refuse_going_back_in_time():
    person = registered()
    person.move_in("A", date(2026, 1, 1), "务工", TODAY)
    person.move_in("B", date(2026, 6, 1), "市内迁移", TODAY)
    assert person.current_residence == {"address_code": "B", "moved_in": date(2026, 6, 1)}
    with pytest.raises(DomainRuleViolation) as error:
        person.move_in("C", date(2026, 5, 1), "x", TODAY)
    assert (error.value.field, error.value.rule) == ("moved_in", "residence.before_current")
    with pytest.raises(DomainRuleViolation) as error:
        person.move_in("C", date(2027, 5, 1), "x", TODAY)
    assert error.value.rule == "date.future"
    person.move_out(date(2026, 10, 1), "离开", TODAY)
    assert person.current_residence is None
    with pytest.raises(StateConflict):
        person.move_out(date(2026, 10, 2), "again", TODAY)


def test_a_cancelled_person_refuses_changes_naming_its_status_and_lives_nowhere():
    person = registered()
    person.move_in("A", date(2026, 1, 1), "务工", TODAY)
    person.cancel("death", date(2026, 11, 1), "", TODAY)
    assert [e.event_type() for e in person.pending[-2:]] == ["ResidenceEnded", "PersonCancelled"]
    assert person.current_residence is None and person.pending[-2].moved_out == date(2026, 11, 1)
    with pytest.raises(StateConflict) as error:
        person.move_in("A", date(2026, 11, 2), "x", TODAY)
    assert error.value.rule == "person.cancelled"


def test_corrections_keep_the_old_value_and_refuse_identity_fields():
    person = registered()
    person.correct({"name": "张莉"}, "typo", "录入错误")
    event = person.pending[-1]
    assert event.changes == {"name": "张莉"} and event.old_values == {"name": "张丽"}
    with pytest.raises(DomainRuleViolation) as error:
        person.correct({"document_type": "passport"}, "typo", "")
    assert error.value.field == "document_type"


def test_a_residence_hands_the_record_to_the_addresses_jurisdiction():
    person = registered()
    person.move_in("A", date(2026, 1, 1), "市内迁移", TODAY, division_code="532503002")
    assert person.division_code == "532503002"


def test_merge_is_idempotent_and_redirects():
    person = registered()
    person.merge_into("P-2", "重复录入")
    person.merge_into("P-2", "重复录入")
    assert person.status == "merged" and person.redirect_to == "P-2" and len(person.pending) == 2


def test_events_fold_with_evolve_to_what_the_record_shows():
    """The audit service folds streams with each event's evolve: it must tell the same story as the aggregate."""
    person = registered()
    person.move_in("A", date(2026, 1, 1), "务工", TODAY, division_code="532503001")
    person.move_in("B", date(2026, 3, 1), "市内迁移", TODAY, division_code="532503002")
    person.change_category(DETAILS.validate_python(EXAMPLES["registered"]), "落户", TODAY)
    person.correct({"name": "张莉"}, "01", "")
    person.cancel("moved_away", date(2026, 11, 1), "", TODAY)
    state: dict = {}
    for event in person.pending:
        state = event.evolve(state)
    assert state["status"] == "cancelled" and state["category"] == "registered" and state["name"] == "张莉"
    assert state["division_code"] == "532503002" and state["current_address_code"] is None
    assert [(r["address_code"], r["moved_out"]) for r in state["residences"]] == [
        ("A", "2026-03-01"), ("B", "2026-11-01")]
