"""未落户人员落户 (未落户 → 常住, issue 18): its own command and event, like a migrant's settling; the record becomes a
registered resident's, the category history keeps the step, every reader of the person's stream folds it the same."""

from __future__ import annotations

from datetime import date

import pytest

from services.kernel.base.errors import DomainRuleViolation
from tests.unit.test_person_domain import registered
from tests.unit.test_person_one_transition import consumers

TODAY = date(2026, 11, 27)


def entered():
    person = registered("unregistered")
    person.register_household(date(2026, 11, 25), "532503001288", "子", True, "补录户口", TODAY)
    return person


def test_an_unregistered_person_is_entered_in_a_household_as_a_registered_resident():
    person = entered()
    assert person.pending[-1].event_type() == "HouseholdRegistered"
    assert person.category == "registered" and person.details.household_number == "532503001288"
    assert (person.details.relation_to_head, person.details.moved_in_on, person.details.move_in_reason) == \
        ("子", date(2026, 11, 25), "落户")


def test_every_reader_folds_it_and_the_registry_keeps_the_history():
    held = consumers(entered().pending)
    shared = held["shared"]
    assert held["audit"] == shared == held["aggregate"]
    assert held["registry"]["details"] == shared["details"] and held["registry"]["deadline"]["category"] == "registered"
    assert [(step["from"], step["to"], step["reason"]) for step in held["registry"]["category_history"]] == [
        ("unregistered", "registered", "补录户口")]
    assert held["whereabouts"]["category"] == held["replica"]["category"] == "registered"


@pytest.mark.parametrize("category", ["registered", "lodger", "migrant", "foreigner"])
def test_only_an_unregistered_person_is_entered_here(category):
    with pytest.raises(DomainRuleViolation) as refused:
        registered(category).register_household(date(2026, 11, 25), "532503001288", "子", True, "", TODAY)
    assert (refused.value.field, refused.value.rule) == ("category", "register_household.not_unregistered")


@pytest.mark.parametrize("registered_on, rule", [(date(2026, 11, 28), "date.future"),
                                                 (date(1949, 12, 30), "date.before_birth")])
def test_the_registration_date_is_checked_naming_the_field(registered_on, rule):
    with pytest.raises(DomainRuleViolation) as refused:
        registered("unregistered").register_household(registered_on, "532503001288", "子", True, "", TODAY)
    assert (refused.value.field, refused.value.rule) == ("registered_on", rule)

