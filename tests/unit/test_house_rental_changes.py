"""A running rental changed without the stack: terms (延长/缩短, 租金, 出租间数), lessor and security person, each its
own event, folded the same by the aggregate, the registry and the 查人知住 slices."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.house import RentalLessorReplaced, RentalSecurityPersonReplaced, RentalTermsChanged
from contracts.parties import PartyRef
from services.house.domain.rental_changes import TermsChange
from services.kernel.base.errors import DomainRuleViolation, StateConflict
from services.person.whereabouts import house_slices
from tests.unit.test_house_domain import SECURITY, TODAY, house, replay, terms

NEW_LESSOR = PartyRef(person_id="P-agent")
NEW_SECURITY = PartyRef(name="王五", document_type="id_card", document_number="532503198505050037")


def let_house():
    h = house(rooms=3, area=90.0)
    h.start_rental("R1", terms(rooms_let=2, start=date(2026, 10, 1), end=date(2027, 9, 30)), TODAY)
    h.move_in("R1", "P-a", date(2026, 10, 2), TODAY)
    return h


def test_terms_extended_and_re_rented_keep_the_old_terms_in_the_stream():
    h = let_house()
    errors = h.change_rental_terms("R1", TermsChange(changed_on=date(2026, 11, 15), end=date(2028, 9, 30),
                                                     rooms_let=3, monthly_rent=1500.0, reason="续租加租"), TODAY)
    event = h.pending[-1]
    assert isinstance(event, RentalTermsChanged) and errors == []
    assert (event.end, event.rooms_let, event.monthly_rent, event.area_let) == (date(2028, 9, 30), 3, 1500.0, None)
    rental = replay(h).state["rentals"][0]
    assert (rental["end"], rental["rooms_let"], rental["monthly_rent"], rental["area_let"]) == (
        "2028-09-30", 3, 1500.0, 40.0), "a term not given is unchanged"
    assert rental["terms_changed_on"] == "2026-11-15" and rental["status"] == "active"


def test_shortened_to_a_day_after_the_tenants_stay():
    h = let_house()
    h.move_out("R1", "P-a", date(2026, 11, 1), TODAY)
    h.change_rental_terms("R1", TermsChange(changed_on=TODAY, end=date(2026, 11, 5)), TODAY)
    assert h.state["rentals"][0]["end"] == "2026-11-05"


@pytest.mark.parametrize(("change", "field", "rule"), [
    (TermsChange(changed_on=TODAY), "end", "rental_terms.empty"),
    (TermsChange(changed_on=TODAY, end=date(2027, 9, 30), rooms_let=2), "end", "rental_terms.unchanged"),
    (TermsChange(changed_on=date(2026, 11, 21), monthly_rent=1.0), "changed_on", "date.future"),
    (TermsChange(changed_on=date(2026, 9, 30), monthly_rent=1.0), "changed_on", "rental.change_before_start"),
    (TermsChange(changed_on=TODAY, end=date(2026, 9, 1)), "end", "rental.end_before_start"),
    (TermsChange(changed_on=TODAY, end=date(2026, 10, 1)), "end", "rental.end_before_tenant"),
    (TermsChange(changed_on=TODAY, end=date(2026, 11, 10)), "end", "rental.end_before_current_tenants"),
    (TermsChange(changed_on=TODAY, rooms_let=4), "rooms_let", "rental.rooms_exceed_house"),
    (TermsChange(changed_on=TODAY, area_let=91.0), "area_let", "rental.area_exceeds_house"),
])
def test_a_terms_change_breaking_a_rule_names_the_field(change, field, rule):
    h = let_house()
    before = len(h.pending)
    with pytest.raises(DomainRuleViolation) as refused:
        h.change_rental_terms("R1", change, TODAY)
    assert (refused.value.field, refused.value.rule) == (field, rule)
    assert len(h.pending) == before, "nothing recorded"


def test_rooms_let_by_the_other_rentals_count_against_the_house():
    h = let_house()
    h.start_rental("R2", terms(rooms_let=1), TODAY)
    with pytest.raises(DomainRuleViolation) as refused:
        h.change_rental_terms("R1", TermsChange(changed_on=TODAY, rooms_let=3), TODAY)
    assert refused.value.rule == "rental.rooms_exceed_house"
    h.end_rental("R2", TODAY, TODAY)
    h.change_rental_terms("R1", TermsChange(changed_on=TODAY, rooms_let=3), TODAY)


def test_an_ended_rental_or_a_demolished_house_takes_no_change():
    h = let_house()
    h.end_rental("R1", date(2026, 11, 10), TODAY)
    for attempt in (lambda: h.change_rental_terms("R1", TermsChange(changed_on=TODAY, monthly_rent=1.0), TODAY),
                    lambda: h.replace_lessor("R1", NEW_LESSOR, "agent", TODAY, TODAY)):
        with pytest.raises(StateConflict) as refused:
            attempt()
        assert refused.value.rule == "rental.ended"
    g = let_house()
    g.demolish(TODAY, "拆除", TODAY)
    with pytest.raises(StateConflict) as refused:
        g.replace_security_person("R1", NEW_SECURITY, TODAY, TODAY)
    assert refused.value.rule == "house.demolished"


def test_the_lessor_replaced_moves_the_let_in_the_whereabouts_slices():
    h = let_house()
    h.replace_lessor("R1", NEW_LESSOR, "agent", date(2026, 11, 15), TODAY, " 委托代理 ")
    event = h.pending[-1]
    assert isinstance(event, RentalLessorReplaced) and event.reason == "委托代理"
    state = replay(h).state
    rental = state["rentals"][0]
    assert (rental["lessor"]["person_id"], rental["lessor_role"], rental["lessor_replaced_on"]) == (
        "P-agent", "agent", "2026-11-15")
    slices = house_slices("H1", state)
    assert "P-owner" in slices and slices["P-owner"]["lets"] == [], "the owner still owns, no longer lets"
    assert [let["rental_id"] for let in slices["P-agent"]["lets"]] == ["R1"]
    with pytest.raises(DomainRuleViolation) as refused:
        h.replace_lessor("R1", NEW_LESSOR, "agent", TODAY, TODAY)
    assert (refused.value.field, refused.value.rule) == ("lessor", "lessor.unchanged")
    with pytest.raises(DomainRuleViolation) as refused:
        h.replace_lessor("R1", PartyRef(person_id="P-x"), "owner", date(2026, 9, 1), TODAY)
    assert (refused.value.field, refused.value.rule) == ("replaced_on", "rental.change_before_start")


def test_the_security_person_replaced_brings_their_own_letter():
    h = let_house()
    h.replace_security_person("R1", NEW_SECURITY, date(2026, 11, 15), TODAY, reason="原责任人外出")
    assert isinstance(h.pending[-1], RentalSecurityPersonReplaced)
    rental = replay(h).state["rentals"][0]
    assert rental["security_person"]["name"] == "王五" and rental["responsibility_letter_signed"] is None, (
        "the old person's letter is not the new one's")
    h.replace_security_person("R1", SECURITY, TODAY, TODAY, letter_signed=TODAY)
    assert h.state["rentals"][0]["responsibility_letter_signed"] == TODAY.isoformat()
    for kwargs, field, rule in [
        (dict(person=SECURITY), "security_person", "security_person.unchanged"),
        (dict(person=NEW_SECURITY, letter_signed=date(2026, 11, 21)), "responsibility_letter_signed", "date.future"),
        (dict(person=NEW_SECURITY, replaced_on=date(2026, 11, 21)), "replaced_on", "date.future"),
    ]:
        arguments = {"replaced_on": TODAY, **kwargs}
        with pytest.raises(DomainRuleViolation) as refused:
            h.replace_security_person("R1", arguments.pop("person"), arguments.pop("replaced_on"), TODAY, **arguments)
        assert (refused.value.field, refused.value.rule) == (field, rule)


@pytest.mark.parametrize(("path", "command", "act"), [
    ("/v1/houses/{house_id}/rentals/{rental_id}/terms", "ChangeRentalTerms",
     lambda h, c: h.change_rental_terms("R1", TermsChange(**c.model_dump(exclude={"expected_version"})), TODAY)),
    ("/v1/houses/{house_id}/rentals/{rental_id}/lessor", "ReplaceLessor",
     lambda h, c: h.replace_lessor("R1", c.lessor, c.lessor_role, c.replaced_on, TODAY, c.reason)),
    ("/v1/houses/{house_id}/rentals/{rental_id}/security-person", "ReplaceSecurityPerson",
     lambda h, c: h.replace_security_person("R1", c.security_person, c.replaced_on, TODAY,
                                            c.responsibility_letter_signed, c.reason)),
])
def test_the_openapi_examples_are_complete_changes_the_domain_accepts(path, command, act):
    from services.house import commands
    from services.house.app import build_app
    from tests.unit.test_house_openapi import registration_example

    example = registration_example(build_app, path)  # as the service documents it
    model = getattr(commands, command)
    parsed = model.model_validate(example)
    assert set(example) == set(model.model_fields), "every field shown"
    h = let_house()
    h.move_out("R1", "P-a", date(2026, 11, 1), TODAY)
    act(h, parsed)
    assert replay(h).state == h.state


def test_the_whereabouts_fold_of_houses_reads_every_house_event():
    """查人知住 keeps its own fold of each house (wa_houses): an event it skipped would leave a lessor or a term
    stale there, so it handles every event type the house contract declares."""
    import contracts.house
    from contracts.events import registered_event_types
    from services.person.whereabouts import whereabouts

    house_events = {name for name, cls in registered_event_types().items() if cls.__module__ == contracts.house.__name__}
    assert house_events - set(whereabouts.handlers) == set()


def test_a_key_person_who_takes_over_letting_matches_the_lessor_rule():
    """The watch's 出租房屋 rule reads a replaced lessor as it reads a new rental's."""
    from services.person.watch.rules import configured, match
    from services.person.watch.sources import SOURCES

    assert SOURCES["RentalLessorReplaced"].persons({"lessor": {"person_id": "P9"}}) == ["P9"]
    assert SOURCES["RentalLessorReplaced"].persons({"lessor": {"name": "赵六"}}) == []
    assert match(configured(), "RentalLessorReplaced", "01", None).rule == "became_lessor"
