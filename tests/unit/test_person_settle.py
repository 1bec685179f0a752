"""流动人口落户 (流动 → 常住, issue 18): its own command and event; the record becomes a registered resident's, the
category history keeps the step, and every reader of the person's stream folds it the same way."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.person_deadlines import Flag
from services.kernel.base.errors import DomainRuleViolation
from services.person.app import build_app
from services.person.commands import SettleMigrant
from tests.unit.test_person_domain import registered
from tests.unit.test_person_one_transition import consumers
from tests.unit.test_person_permits import flags_of

TODAY = date(2026, 11, 27)


def settled():
    person = registered("migrant", residence_permit_number="53250320260001", residence_permit_expiry="2026-12-01")
    assert Flag.residence_permit_expiring in flags_of(person)
    person.settle(date(2026, 11, 25), "532503001299", "户主", True, "购房落户", TODAY)
    return person


def test_a_migrant_settles_as_a_registered_resident_and_the_migrant_flags_go():
    person = settled()
    assert person.pending[-1].event_type() == "MigrantSettled"
    assert person.category == "registered" and person.details.household_number == "532503001299"
    assert person.details.moved_in_on == date(2026, 11, 25) and flags_of(person) == []


def test_every_reader_folds_the_settlement_and_the_registry_keeps_the_history():
    held = consumers(settled().pending)
    shared = held["shared"]
    assert held["audit"] == shared == held["aggregate"]
    assert held["registry"]["details"] == shared["details"] and held["registry"]["deadline"]["category"] == "registered"
    assert [(step["from"], step["to"], step["reason"]) for step in held["registry"]["category_history"]] == [
        ("migrant", "registered", "购房落户")]
    assert held["whereabouts"]["category"] == held["replica"]["category"] == "registered"


@pytest.mark.parametrize("category", ["registered", "lodger", "foreigner", "unregistered"])
def test_only_a_migrant_settles(category):
    with pytest.raises(DomainRuleViolation) as refused:
        registered(category).settle(date(2026, 11, 25), "532503001299", "户主", True, "", TODAY)
    assert (refused.value.field, refused.value.rule) == ("category", "settle.not_migrant")


@pytest.mark.parametrize("settled_on, rule", [(date(2026, 11, 28), "date.future"),
                                              (date(2026, 11, 19), "date.before_arrival")])
def test_the_settlement_date_is_checked_naming_the_field(settled_on, rule):
    with pytest.raises(DomainRuleViolation) as refused:
        registered("migrant").settle(settled_on, "532503001299", "户主", True, "", TODAY)
    assert (refused.value.field, refused.value.rule) == ("settled_on", rule)


def test_the_openapi_example_is_complete_and_valid():
    spec = build_app().openapi()
    body = spec["paths"]["/v1/persons/{person_id}/settle"]["post"]["requestBody"]["content"]["application/json"]
    example = spec["components"]["schemas"][body["schema"]["$ref"].split("/")[-1]]["examples"][0]
    assert set(example) == set(SettleMigrant.model_fields), "every field shown"
    SettleMigrant.model_validate(example)
