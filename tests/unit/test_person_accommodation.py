"""境外人员住宿变更 without the stack: a foreigner moves to another accommodation, its own event; the residence,
every reader of the person's stream and the 24-hour registration flag follow."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from contracts import person_record
from contracts.person_deadlines import Flag
from services.kernel.base.errors import DomainRuleViolation, StateConflict
from services.person.commands import ChangeAccommodation
from services.person.projections import registry_record
from services.person.views.persons import deadline_flags
from tests.unit.test_person_domain import TODAY, registered
from tests.unit.test_person_one_transition import consumers

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc)  #: 16:00 in 蒙自
HOTEL = "532503001509034148625531"
FLAT = "532503002500000000000042"


def a_foreigner():
    person = registered("foreigner")
    person.move_in("532503001500000000000018", TODAY - timedelta(days=8), "务工", TODAY, residence_type="rental")
    return person


def test_a_move_to_a_hotel_is_a_move_in_with_the_stay_s_type_and_arrival():
    person = a_foreigner()
    arrived = datetime(2026, 11, 25, 20, 30, tzinfo=timezone(timedelta(hours=8)))
    person.change_accommodation("hotel", HOTEL, arrived, NOW, address_name="天马路18号", division_code="532503001",
                                host_unit=" 蒙自天马宾馆 ", reason="改住宾馆")
    event = person.pending[-1]
    assert event.event_type() == "ForeignerAccommodationChanged" and event.moved_in.isoformat() == "2026-11-25"
    details, residences = person.state["details"], person.state["residences"]
    assert (details["accommodation"], details["host_unit"]) == ("hotel", "蒙自天马宾馆")
    assert datetime.fromisoformat(details["arrived_at"]) == arrived
    assert [(r["address_code"], r["moved_in"], r["moved_out"], r["residence_type"]) for r in residences] == [
        ("532503001500000000000018", "2026-11-19", "2026-11-25", "rental"), (HOTEL, "2026-11-25", None, "hotel")]


@pytest.mark.parametrize(("address", "arrived", "field", "rule"), [
    (HOTEL, NOW + timedelta(minutes=5), "arrived_at", "date.future"),
    (HOTEL, datetime(2026, 11, 17, 12, tzinfo=timezone.utc), "arrived_at", "date.before_entry"),
    (HOTEL, datetime(2026, 11, 18, 12, tzinfo=timezone.utc), "arrived_at", "residence.before_current"),
    ("532503001500000000000018", NOW, "address_code", "accommodation.same_address"),
])
def test_an_accommodation_change_breaking_a_rule_names_the_field(address, arrived, field, rule):
    with pytest.raises(DomainRuleViolation) as refused:
        a_foreigner().change_accommodation("hotel", address, arrived, NOW)
    assert (refused.value.field, refused.value.rule) == (field, rule)


def test_only_an_active_foreigner_changes_accommodation():
    with pytest.raises(DomainRuleViolation) as migrant:
        registered("migrant").change_accommodation("hotel", HOTEL, NOW, NOW)
    assert (migrant.value.field, migrant.value.rule) == ("category", "accommodation.not_foreigner")
    cancelled = a_foreigner()
    cancelled.cancel("moved_away", TODAY, "", TODAY)
    with pytest.raises(StateConflict):
        cancelled.change_accommodation("hotel", HOTEL, NOW, NOW)


def registry_after(person, recorded_at: datetime) -> dict:
    document = None
    for version, event in enumerate(person.pending, 1):
        envelope = SimpleNamespace(event_type=event.event_type(), payload=event.model_dump(mode="json"),
                                   version=version, occurred_at=recorded_at if version > 1 else NOW,
                                   actor=SimpleNamespace(id="PC-1"))
        document = registry_record(document, envelope)
    return document


@pytest.mark.parametrize(("accommodation", "hours_late", "late"), [
    ("rental", 30, True), ("rental", 20, False), ("hotel", 30, False)])
def test_the_24_hour_flag_is_judged_on_the_new_stay(accommodation, hours_late, late):
    """Outside a hotel the stay is registered within 24 hours of arrival: recorded 30 hours after, it is late."""
    person = a_foreigner()
    arrived = NOW - timedelta(hours=40)
    person.change_accommodation(accommodation, FLAT, arrived, NOW, division_code="532503002")
    document = registry_after(person, arrived + timedelta(hours=hours_late))
    assert document["deadline"]["registered_late"] is late, "the deadline list reads this"
    assert (Flag.foreigner_registered_late in deadline_flags(document, NOW)) is late, "the record's flags agree"
    assert document["division_code"] == "532503002", "the new address's township owns the record"


def test_every_reader_of_the_person_s_stream_folds_it_with_the_one_transition(monkeypatch):
    person = a_foreigner()
    person.change_accommodation("hotel", HOTEL, NOW - timedelta(hours=2), NOW, division_code="532503001")
    held = consumers(person.pending)
    for name, state in held.items():
        assert [r["address_code"] for r in state["residences"]][-1] == HOTEL, name
    assert held["whereabouts"]["current_address_code"] == HOTEL and held["replica"]["residence_type"] == "hotel"
    assert held["audit"] == held["shared"] == held["aggregate"]
    original = person_record.TRANSITIONS["ForeignerAccommodationChanged"]
    monkeypatch.setitem(person_record.TRANSITIONS, "ForeignerAccommodationChanged", lambda state, payload: original(
        state, {**payload, "address_code": "PROBE"}))
    probed = consumers(person.pending)
    assert {name: state["residences"][-1]["address_code"] for name, state in probed.items()} == dict.fromkeys(
        probed, "PROBE")


def test_the_openapi_example_is_complete_and_the_domain_accepts_it():
    from services.person.app import build_app
    from tests.unit.test_house_openapi import registration_example

    example = registration_example(build_app, "/v1/persons/{person_id}/accommodation")
    assert set(example) == set(ChangeAccommodation.model_fields), "every field shown"
    body = ChangeAccommodation.model_validate(example)
    person = a_foreigner()
    person.change_accommodation(body.accommodation, body.address_code, body.arrived_at, NOW, host_unit=body.host_unit,
                                reason=body.reason)
    assert person.state["details"]["host_unit"] == body.host_unit


def test_a_listed_key_person_s_accommodation_change_is_a_move_the_watch_alerts_on():
    """迁居或登记新住址: a key person (a foreigner) moving to another accommodation raises the 'moved' alert, the
    alert naming the new address."""
    from services.person.watch.projection import watch
    from services.person.watch.rules import configured, match
    from services.person.watch.sources import SOURCES

    person = a_foreigner()
    person.change_accommodation("hotel", HOTEL, NOW, NOW, address_name="天马路18号", division_code="532503001")
    payload = person.pending[-1].model_dump(mode="json")
    source = SOURCES["ForeignerAccommodationChanged"]
    assert source.persons(payload) == ["P-1"]
    assert source.facts(payload) == {"address_code": HOTEL, "address_name": "天马路18号", "moved_in": "2026-11-27",
                                     "accommodation": "hotel", "division_code": "532503001"}
    assert "ForeignerAccommodationChanged" in watch.handlers
    assert match(configured(), "ForeignerAccommodationChanged", "02", None).rule == "moved"
