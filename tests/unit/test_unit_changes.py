"""名称变更 and 法定代表人变更 of a unit, without the stack: each its own event, the history kept on the record."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.parties import PartyRef
from contracts.unit import LegalRepresentativeChanged, UnitRenamed
from services.kernel.base.errors import DomainRuleViolation, StateConflict
from tests.unit.test_unit_domain import TODAY, replay, unit


def test_a_rename_keeps_the_old_name_as_a_former_name():
    u = unit()
    u.rename(" 蒙自天马酒店有限公司 ", date(2026, 11, 1), TODAY, "营业执照名称变更")
    event = u.pending[-1]
    assert isinstance(event, UnitRenamed) and (event.name, event.previous_name) == ("蒙自天马酒店有限公司", "蒙自天马宾馆")
    u.rename("蒙自天马大酒店", date(2026, 11, 10), TODAY)
    state = replay(u).state
    assert state["name"] == "蒙自天马大酒店" and state["renamed_on"] == "2026-11-10"
    assert state["former_names"] == [{"name": "蒙自天马宾馆", "until": "2026-11-01"},
                                     {"name": "蒙自天马酒店有限公司", "until": "2026-11-10"}]


@pytest.mark.parametrize(("name", "on", "field", "rule"), [
    ("  ", date(2026, 11, 1), "name", "required"),
    ("蒙自天马宾馆", date(2026, 11, 1), "name", "unit.name_unchanged"),
    ("新名", date(2026, 11, 21), "renamed_on", "date.future"),
    ("新名", date(2019, 1, 1), "renamed_on", "unit.changed_before_previous"),  # opened 2020-05-01
])
def test_a_rename_breaking_a_rule_names_the_field(name, on, field, rule):
    with pytest.raises(DomainRuleViolation) as refused:
        unit().rename(name, on, TODAY)
    assert (refused.value.field, refused.value.rule) == (field, rule)


def test_a_closed_unit_is_not_renamed_nor_given_a_representative():
    u = unit()
    u.close(date(2026, 11, 2), TODAY, "注销")
    with pytest.raises(StateConflict, match="closed"):
        u.rename("新名", date(2026, 11, 3), TODAY)
    with pytest.raises(StateConflict, match="closed"):
        u.change_legal_representative(PartyRef(name="李四"), date(2026, 11, 3), TODAY)


def test_a_new_legal_representative_keeps_the_former_with_the_day_the_term_ended():
    u = unit()
    u.change_legal_representative(PartyRef(person_id="P-heir"), date(2026, 10, 1), TODAY, "股东会决议")
    event = u.pending[-1]
    assert isinstance(event, LegalRepresentativeChanged) and event.previous == PartyRef(person_id="P-boss")
    u.change_legal_representative(PartyRef(name="李四", document_type="id_card",
                                           document_number="11010519491231002X"), date(2026, 11, 1), TODAY)
    state = replay(u).state
    assert state["legal_representative"]["name"] == "李四" and state["legal_representative_since"] == "2026-11-01"
    assert [(f["person_id"], f["until"]) for f in state["former_legal_representatives"]] == [
        ("P-boss", "2026-10-01"), ("P-heir", "2026-11-01")]


@pytest.mark.parametrize(("party", "on", "field", "rule"), [
    (PartyRef(person_id="P-boss"), date(2026, 11, 1), "legal_representative", "unit.legal_representative_unchanged"),
    (PartyRef(person_id="P-heir"), date(2026, 11, 21), "changed_on", "date.future"),
    (PartyRef(person_id="P-heir"), date(2020, 4, 30), "changed_on", "unit.changed_before_previous"),
])
def test_a_representative_change_breaking_a_rule_names_the_field(party, on, field, rule):
    with pytest.raises(DomainRuleViolation) as refused:
        unit().change_legal_representative(party, on, TODAY)
    assert (refused.value.field, refused.value.rule) == (field, rule)


def test_a_unit_without_a_recorded_representative_gets_one_without_a_former():
    u = unit(legal_representative=None)
    u.change_legal_representative(PartyRef(person_id="P-heir"), date(2026, 11, 1), TODAY)
    assert replay(u).state["former_legal_representatives"] == []


def test_every_reader_of_a_unit_s_name_follows_a_rename():
    """The unit replica (a house's owner unit), 查人知住 and the key-person watch fold UnitRenamed too."""
    from services.person.watch.projection import watch
    from services.person.whereabouts import unit_slices, whereabouts
    from services.replicas.unit import unit_replica
    from services.unit.projections import registry

    for projection in (watch, whereabouts, unit_replica("probe"), registry):
        assert "UnitRenamed" in projection.handlers, projection.name
    assert "LegalRepresentativeChanged" in registry.handlers
    u = unit()
    u.hire("P-clerk", "前台", date(2026, 1, 5), TODAY)
    u.rename("蒙自天马大酒店", date(2026, 11, 1), TODAY)
    assert unit_slices("U1", replay(u).state)["P-clerk"]["name"] == "蒙自天马大酒店"


def documented(path: str, command: str):
    """The body the service's OpenAPI documents for ``path``, every field shown, as ``command`` parses it."""
    from services.unit import commands
    from services.unit.app import build_app
    from tests.unit.test_house_openapi import registration_example

    example = registration_example(build_app, path)
    model = getattr(commands, command)
    assert set(example) == set(model.model_fields), "every field shown"
    return model.model_validate(example)


@pytest.mark.parametrize(("path", "command"), [("/v1/units/{unit_id}/rename", "RenameUnit"),
                                               ("/v1/units/{unit_id}/legal-representative",
                                                "ChangeLegalRepresentative")])
def test_the_openapi_examples_are_complete_changes_the_domain_accepts(path, command):
    body = documented(path, command)
    u = unit()
    if command == "RenameUnit":
        u.rename(body.name, body.renamed_on, TODAY, body.reason)
    else:
        u.change_legal_representative(body.legal_representative, body.changed_on, TODAY, body.reason)
    assert len(u.pending) == 2, "registered, then changed as documented"


def test_the_audit_folds_the_changes_as_the_registry_does():
    """The audit's change history folds a stream with the events' own evolve: the same record, old values kept."""
    from services.audit.domain.fold import fold

    u = unit()
    u.rename("蒙自天马大酒店", date(2026, 11, 1), TODAY)
    u.change_legal_representative(PartyRef(person_id="P-heir"), date(2026, 11, 2), TODAY)
    u.request_key_unit("理由", "PC-1", TODAY)
    folded = fold((event.event_type(), event.model_dump(mode="json")) for event in u.pending)
    assert folded == replay(u).state
