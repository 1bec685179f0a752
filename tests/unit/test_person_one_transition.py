"""One transition, one place (issue 21): every reader of a person's (or key person's) stream folds it with
contracts.person_record (contracts.key_person_record).

The aggregate, the audit's fold (the events' ``evolve``), the registry projection, 查人知住, the key-person watch
and the other contexts' replica each keep their own slice of the record; for one stream of events each slice
equals the shared fold, and a change to the shared transition shows in every one of them. The deadline rules
are one too: the person flags and the audit's figures agree at the edges of the permit warning.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from types import SimpleNamespace

import pytest
from pydantic import TypeAdapter

from contracts import key_person_record, person_record
from contracts.person import CategoryDetails, KeyPersonListingApplied, PersonRegistered
from contracts.person_deadlines import DeadlineFacts, Flag, flags
from services.audit.domain.fold import fold as audit_fold
from services.audit.domain.metrics import counts
from services.person.domain.key_person import KeyPerson
from services.person.domain.person import Person
from services.person.projections import registry_record
from services.person.watch.folds import ATTRIBUTES, fold_listing
from services.person.whereabouts import fold_person
from services.replicas.person import RESIDENCE_FIELDS, replica_record

TODAY = date(2026, 11, 27)
AT = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)
DETAILS = TypeAdapter(CategoryDetails)
STAMP = ("at", "by", "event")


def a_life() -> list:
    """A migrant moves in, moves within the city (another township), renews, settles, is corrected, leaves and is
    cancelled: every kind of step of a person's stream, as the aggregate records them."""
    person = Person.register(PersonRegistered(
        person_id="P-1", document_type="resident_id", document_number="11010519491231002X", name="张丽", sex="female",
        birth_date=date(1949, 12, 31), category="migrant", division_code="532503001",
        details=DETAILS.validate_python({"category": "migrant", "residence_reason": "work", "arrival_date": "2026-01-02",
                                         "origin": "四川省广安市", "residence_type": "rental", "owner_name": "王强",
                                         "residence_permit_number": "53250320260001",
                                         "residence_permit_expiry": "2026-12-20"})), TODAY)
    person.move_in("A", date(2026, 1, 3), "务工", TODAY, residence_type="rental", owner_name="王强")
    person.move_in("B", date(2026, 3, 1), "市内迁移", TODAY, division_code="532503002", address_name="某路2号")
    person.renew_migrant_registration(date(2028, 1, 1), TODAY)
    person.issue_residence_permit("53250320260002", date(2026, 11, 20), date(2027, 11, 19), TODAY)
    person.move_out(date(2026, 5, 1), "返乡", TODAY)
    person.move_in("C", date(2026, 6, 1), "务工", TODAY)
    person.change_category(DETAILS.validate_python({"category": "registered", "household_number": "532503001234",
                                                    "relation_to_head": "户主", "lives_at_registered_address": True}),
                           "落户", TODAY)
    person.correct({"name": "张莉"}, "01", "")
    person.cancel("moved_away", date(2026, 11, 1), "", TODAY)
    return person.pending


def fold_each(events, step):
    state = None
    for event in events:
        state = step(state, event)
    return state


def envelope(event, version: int) -> SimpleNamespace:
    return SimpleNamespace(event_type=event.event_type(), payload=event.model_dump(mode="json"), version=version,
                           occurred_at=AT, actor=SimpleNamespace(id="PC-1"))


def unstamped(entry: dict) -> dict:
    return {key: value for key, value in entry.items() if key not in STAMP}


def a_foreigners_stay() -> list:
    """A foreigner's visa is extended twice (签证延期), the second time with a new visa (换发)."""
    person = Person.register(PersonRegistered(
        person_id="P-1", document_type="passport", document_number="E12345678", nationality="LAO", name="宋蓬",
        sex="female", birth_date=date(1985, 6, 15), category="foreigner", division_code="532503001",
        details=DETAILS.validate_python({"category": "foreigner", "nationality": "LAO", "foreign_name": "SOMPHONE KEO",
                                         "visa_type": "Z", "visa_number": "V12345678", "entry_date": "2026-01-18",
                                         "permitted_stay_until": "2026-11-01", "accommodation": "hotel",
                                         "arrived_at": "2026-01-19T10:00:00+08:00"})), TODAY)
    person.change_stay(date(2027, 1, 17), None, None)
    person.change_stay(date(2027, 7, 17), "S1", "V87654321")
    return person.pending


def consumers(events) -> dict:
    """What each reader holds after the events."""
    typed = [(event.event_type(), event.model_dump(mode="json")) for event in events]
    aggregate = Person("person-P-1")
    for event in events:
        aggregate.apply(event)
    return {
        "shared": person_record.fold(typed),
        "audit": audit_fold(typed),
        "aggregate": aggregate.state,
        "registry": fold_each(list(enumerate(events, 1)), lambda doc, e: registry_record(doc, envelope(e[1], e[0]))),
        "whereabouts": fold_each(typed, lambda section, e: fold_person(section, *e)),
        "replica": fold_each(typed, lambda doc, e: replica_record(doc or {}, *e, AT)),
    }


def test_every_reader_holds_the_shared_fold_of_a_persons_stream():
    held = consumers(a_life())
    shared = held["shared"]
    assert [(r["address_code"], r["moved_in"], r["moved_out"], r["move_out_reason"]) for r in shared["residences"]] == [
        ("A", "2026-01-03", "2026-03-01", None), ("B", "2026-03-01", "2026-05-01", "返乡"),
        ("C", "2026-06-01", "2026-11-01", "注销: moved_away")]
    assert shared["status"] == "cancelled" and shared["division_code"] == "532503002" and shared["name"] == "张莉"
    assert held["audit"] == shared and held["aggregate"] == shared

    registry = held["registry"]
    assert {key: registry[key] for key in shared if key not in ("person_id", "residences", "cancellation")} == \
        {key: value for key, value in shared.items() if key not in ("person_id", "residences", "cancellation")}
    assert [unstamped(entry) for entry in registry["residences"]] == shared["residences"]
    assert unstamped(registry["cancellation"]) == shared["cancellation"]
    assert registry["deadline"]["registration_valid_until"] == shared["details"].get("registration_valid_until")

    kept = [{key: entry.get(key) for key in RESIDENCE_FIELDS} for entry in shared["residences"]]
    for section in (held["whereabouts"], held["replica"]):
        assert [{key: entry.get(key) for key in RESIDENCE_FIELDS} for entry in section["residences"]] == kept
        assert (section["status"], section["division_code"], section["name"], section["category"],
                section["cancelled_on"]) == ("cancelled", "532503002", "张莉", "registered", "2026-11-01")
    assert held["whereabouts"]["current_address_code"] == held["replica"]["address_code"] is None
    assert "residence_permit_number" not in shared["details"], "settled: the migrant's details are gone"
    permit = person_record.fold([(e.event_type(), e.model_dump(mode="json")) for e in a_life()
                                 if e.event_type() != "PersonCategoryChanged"])
    assert (permit["details"]["residence_permit_number"], permit["details"]["residence_permit_expiry"]) == \
        ("53250320260002", "2027-11-19")


def test_every_reader_holds_the_shared_fold_of_a_foreigners_stay():
    held = consumers(a_foreigners_stay())
    shared = held["shared"]
    assert {key: shared["details"][key] for key in ("permitted_stay_until", "visa_type", "visa_number")} == \
        {"permitted_stay_until": "2027-07-17", "visa_type": "S1", "visa_number": "V87654321"}
    assert held["audit"] == shared and held["aggregate"] == shared
    assert held["registry"]["details"] == shared["details"]
    assert held["registry"]["deadline"]["permitted_stay_until"] == "2027-07-17"


@pytest.mark.parametrize("event_type, life, read", [
    ("ResidencePermitIssued", lambda: [e for e in a_life() if e.event_type() != "PersonCategoryChanged"],
     lambda state: state["details"]["residence_permit_expiry"]),
    ("StayPermitChanged", a_foreigners_stay, lambda state: state["details"]["permitted_stay_until"]),
])
def test_a_change_to_a_shared_permit_transition_shows_in_every_reader_that_keeps_it(monkeypatch, event_type, life,
                                                                                    read):
    original = person_record.TRANSITIONS[event_type]
    monkeypatch.setitem(person_record.TRANSITIONS, event_type, lambda state, payload: {
        **original(state, payload), "details": {**original(state, payload)["details"],
                                                "residence_permit_expiry": "PROBE", "permitted_stay_until": "PROBE"}})
    held = consumers(life())
    assert {name: read(held[name]) for name in ("shared", "audit", "aggregate", "registry")} == \
        dict.fromkeys(("shared", "audit", "aggregate", "registry"), "PROBE")
    assert "PROBE" in held["registry"]["deadline"].values()


def test_a_change_to_the_shared_residence_transition_shows_in_every_reader(monkeypatch):
    """Not five copies that happen to agree: each reader takes its residences from the one transition."""
    original = person_record.residence_registered

    def probed(state, payload):
        return original(state, {**payload, "address_code": "PROBE-" + payload["address_code"]})

    monkeypatch.setitem(person_record.TRANSITIONS, "ResidenceRegistered", probed)
    held = consumers(a_life())
    for name, state in held.items():
        assert [r["address_code"] for r in state["residences"]] == ["PROBE-A", "PROBE-B", "PROBE-C"], name


def a_residence_changed() -> list:
    """A migrant moves in renting, then lodges with a host (居住类型 and 房主 changed), then works there (居住事由)."""
    person = Person.register(PersonRegistered(
        person_id="P-1", document_type="resident_id", document_number="11010519491231002X", name="张丽", sex="female",
        birth_date=date(1949, 12, 31), category="migrant", division_code="532503001",
        details=DETAILS.validate_python({"category": "migrant", "residence_reason": "work", "arrival_date": "2026-01-02",
                                         "origin": "四川省广安市", "residence_type": "rental"})), TODAY)
    person.move_in("A", date(2026, 1, 3), "务工", TODAY, residence_type="rental", owner_name="王强")
    person.change_residence_details(date(2026, 6, 1), TODAY, residence_type="lodging", host_person_id="P-2")
    person.change_residence_details(date(2026, 9, 1), TODAY, residence_reason="经商")
    return person.pending


def test_every_reader_holds_the_shared_fold_of_a_residence_details_change():
    held = consumers(a_residence_changed())
    shared = held["shared"]
    (residence,) = shared["residences"]
    assert (residence["address_code"], residence["moved_in"], residence["reason"], residence["residence_type"],
            residence["host_person_id"], residence["owner_name"], residence["details_changed_on"]) == \
        ("A", "2026-01-03", "经商", "lodging", "P-2", "王强", "2026-09-01")
    assert held["audit"] == shared and held["aggregate"] == shared
    assert [unstamped(entry) for entry in held["registry"]["residences"]] == shared["residences"]
    kept = [{key: entry.get(key) for key in RESIDENCE_FIELDS} for entry in shared["residences"]]
    for section in (held["whereabouts"], held["replica"]):
        assert [{key: entry.get(key) for key in RESIDENCE_FIELDS} for entry in section["residences"]] == kept
    assert held["replica"]["residence_type"] == "lodging", "the house and unit replicas see the new type"


def test_a_change_to_the_residence_details_transition_shows_in_every_reader(monkeypatch):
    original = person_record.residence_details_changed

    def probed(state, payload):
        return original(state, {**payload, "residence_type": "PROBE"})

    monkeypatch.setitem(person_record.TRANSITIONS, "ResidenceDetailsChanged", probed)
    held = consumers(a_residence_changed())
    for name, state in held.items():
        assert [r["residence_type"] for r in state["residences"]] == ["PROBE"], name


@pytest.mark.parametrize("category, event_type, enter", [
    ("migrant", "MigrantSettled", lambda p: p.settle(date(2026, 11, 25), "532503001299", "户主", True, "", TODAY)),
    ("unregistered", "HouseholdRegistered",
     lambda p: p.register_household(date(2026, 11, 25), "532503001288", "子", True, "", TODAY)),
])
def test_a_change_to_a_shared_settling_transition_shows_in_every_reader(monkeypatch, category, event_type, enter):
    """落户 from either category (流动 / 未落户 → 常住): each reader takes the category from the one transition."""
    from tests.unit.test_person_domain import registered

    original = person_record.TRANSITIONS[event_type]
    monkeypatch.setitem(person_record.TRANSITIONS, event_type,
                        lambda state, payload: {**original(state, payload), "category": "PROBE"})
    person = registered(category)
    enter(person)
    held = consumers(person.pending)
    assert {name: state["category"] for name, state in held.items()} == dict.fromkeys(held, "PROBE")


@pytest.mark.parametrize("expiry, flagged", [("2026-11-26", False), ("2026-11-27", True), ("2026-12-27", True),
                                             ("2026-12-28", False)])
def test_the_permit_warning_is_one_rule_for_the_flags_and_the_audit_figures(expiry, flagged):
    as_of = datetime(2026, 11, 27, 4, 0, tzinfo=timezone.utc)
    facts = DeadlineFacts(category="migrant", status="active", registered_at=as_of,
                          residence_permit_expiry=date.fromisoformat(expiry))
    figures = counts("Person", {"status": "active", "category": "migrant", "residence_permit_expiry": expiry},
                     False, as_of.date())
    assert (Flag.residence_permit_expiring in flags(facts, as_of)) is flagged
    assert bool(figures["residence_permits_expiring"]) is flagged


def a_listing() -> list:
    """A key person applied for, listed, transferred to another township, recategorised, released."""
    key_person = KeyPerson.apply_for_listing(KeyPersonListingApplied(
        key_person_id="K-1", person_id="P-1", category_code="04", problem="吸毒前科", responsible_unit="文澜派出所",
        responsible_officer="PC-0001", control_level="2", division_code="532503001"))
    key_person.approve("同意")
    key_person.request_transfer("532503002", "雨过铺派出所", None, "迁居")
    key_person.approve("同意转递")
    key_person.request_recategorization("02", "转类")
    key_person.approve("同意转类")
    key_person.apply_for_release("已戒断")
    key_person.approve("同意撤管")
    return key_person.pending


def key_person_readers(events) -> dict:
    typed = [(event.event_type(), event.model_dump(mode="json")) for event in events]
    aggregate = KeyPerson("keyperson-K-1")
    shared, watch, contract = {}, None, {}
    for step, (event, (event_type, payload)) in enumerate(zip(events, typed)):
        aggregate.apply(event)
        shared = key_person_record.evolve(shared, event_type, payload)
        contract = event.evolve(contract)
        watch = fold_listing(watch, event_type, payload, f"T{step}")
    kept = ("state", *ATTRIBUTES)
    return {"shared": shared, "aggregate": aggregate.listing, "contract": contract,
            "watch": {key: watch[key] for key in kept}, "kept": kept, "periods": watch["periods"]}


def test_every_reader_holds_the_shared_fold_of_a_key_persons_stream():
    held = key_person_readers(a_listing())
    assert held["aggregate"] == held["contract"] == held["shared"]
    assert held["watch"] == {key: held["shared"].get(key) for key in held["kept"]}
    assert held["shared"]["state"] == "released" and held["shared"]["division_code"] == "532503002"
    assert [(p["division_code"], p["category_code"]) for p in held["periods"]] == [
        ("532503001", "04"), ("532503002", "04"), ("532503002", "02")]


def test_a_change_to_the_shared_transfer_shows_in_every_key_person_reader(monkeypatch):
    original = key_person_record.transferred
    monkeypatch.setitem(key_person_record.TRANSITIONS, "KeyPersonTransferred",
                        lambda state, payload: {**original(state, payload), "responsible_unit": "PROBE"})
    held = key_person_readers(a_listing())
    assert {name: held[name]["responsible_unit"] for name in ("shared", "aggregate", "contract", "watch")} == \
        dict.fromkeys(("shared", "aggregate", "contract", "watch"), "PROBE")
