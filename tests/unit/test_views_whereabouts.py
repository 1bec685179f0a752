"""Pure parts of 查人知住, 以房管人 and 以业管人: the per-stream folds, the derived answers, logic errors."""

from __future__ import annotations

from contracts.house import RentalEnded, RentalStarted, TenantMovedIn
from services.house.views.occupants import occupants_of
from services.person.views.whereabouts import derive
from services.person.whereabouts import fold_person, house_slices, logic_errors, unit_slices
from services.unit.views.employees import employees_of

REGISTERED = {"document_type": "resident_id", "document_number": "11010519491231002X", "name": "张三",
              "sex": "female", "birth_date": "1949-12-31", "category": "migrant", "division_code": "532503001",
              "details": {"registration_valid_until": "2027-01-31"}}


def person_through(*steps) -> dict:
    person = None
    for event_type, payload in steps:
        person = fold_person(person, event_type, payload, None)
    return person


def house_state(*events) -> dict:
    state = {"address_code": "A1", "address_name": "某路1号", "division_code": "532503001", "use": "rented",
             "owner": {"person_id": "L"}}
    for event in events:
        state = event.evolve(state)
    return state


def test_a_move_closes_the_previous_residence_and_the_answer_shows_the_current_one():
    person = person_through(("PersonRegistered", REGISTERED),
                            ("ResidenceRegistered", {"address_code": "A0", "moved_in": "2026-01-01"}),
                            ("ResidenceRegistered", {"address_code": "A1", "moved_in": "2026-03-01"}))
    assert [(r["address_code"], r["moved_out"]) for r in person["residences"]] == [("A0", "2026-03-01"), ("A1", None)]
    answer = derive({"_id": "P1", "person": person})
    assert answer["residence"]["address_code"] == "A1" and answer["residence"]["since"] == "2026-03-01"
    assert person["registration_valid_until"] == "2027-01-31" and person["current_address_code"] == "A1"


def test_a_tenant_known_only_from_the_house_lives_there():
    rental = RentalStarted(house_id="H1", rental_id="R1", lessor={"person_id": "L"}, lessor_role="owner", rooms_let=1,
                           start="2026-01-02", security_person={"person_id": "L"})
    state = house_state(rental, TenantMovedIn(house_id="H1", rental_id="R1", person_id="P1", moved_in="2026-01-03"))
    slices = house_slices("H1", state)
    assert set(slices) == {"L", "P1"} and slices["L"]["owner"] and slices["L"]["lets"][0]["rental_id"] == "R1"
    answer = derive({"_id": "P1", "person": person_through(("PersonRegistered", REGISTERED)),
                     "houses": {"H1": slices["P1"]}})
    assert answer["residence"]["source"] == "tenancy" and answer["residence"]["lessor"]["person_id"] == "L"
    ended = house_slices("H1", RentalEnded(house_id="H1", rental_id="R1", ended_on="2026-09-30").evolve(state))
    answer = derive({"_id": "P1", "person": person_through(("PersonRegistered", REGISTERED)),
                     "houses": {"H1": ended["P1"]}})
    assert answer["residence"] is None
    assert [(h["kind"], h["from"], h["to"]) for h in answer["history"]] == [("tenancy", "2026-01-03", "2026-09-30")]


def test_employers_are_the_open_employments():
    unit = {"name": "某宾馆", "address_code": "A2", "division_code": "532503001", "status": "open",
            "special_trades": [{"trade": "hotel"}],
            "employees": [{"person_id": "P1", "position": "前台", "hired": "2026-01-05", "left": "2026-03-01"},
                          {"person_id": "P1", "position": "经理", "hired": "2026-03-02", "left": None}]}
    slices = unit_slices("U1", unit)
    answer = derive({"_id": "P1", "person": person_through(("PersonRegistered", REGISTERED)), "units": slices})
    assert [(e["position"], e["special_trades"]) for e in answer["employers"]] == [("经理", ["hotel"])]
    shaped = employees_of({"employees": unit["employees"]}, {"P1": {"name": "张三", "address_code": "A1",
                                                                   "moved_in": "2026-01-01"}})
    assert [e["position"] for e in shaped["current"]] == ["经理"] and shaped["past"][0]["residence"]["address_code"] == "A1"


def test_logic_errors_raised_and_cleared_by_later_facts():
    person = person_through(("PersonRegistered", {**REGISTERED, "sex": "male"}))
    assert [e["rule"] for e in logic_errors({"person": person})] == ["person.identity_mismatch"]
    person = fold_person(person, "PersonCorrected", {"changes": {"sex": "female"}}, None)
    assert logic_errors({"person": person}) == []
    cancelled = fold_person(person, "PersonCancelled", {"cancelled_on": "2026-10-01"}, None)
    employed = {"U1": {"unit_id": "U1", "employment": [{"hired": "2026-01-01", "left": None}]}}
    assert [e["rule"] for e in logic_errors({"person": cancelled, "units": employed})] == ["unit.employee_cancelled"]
    employed["U1"]["employment"][0]["left"] = "2026-10-01"
    assert logic_errors({"person": cancelled, "units": employed}) == []


def test_occupants_by_category_with_tenants_and_key_persons():
    house = {"_id": "H1", "address_code": "A1", "rentals": [
        {"rental_id": "R1", "status": "active", "security_person": {"person_id": "L"},
         "tenants": [{"person_id": "P2", "moved_in": "2026-01-03", "moved_out": None},
                     {"person_id": "P3", "moved_in": "2026-01-03", "moved_out": "2026-02-01"}]}]}
    residents = [{"_id": "P1", "name": "甲", "category": "registered", "address_code": "A1"},
                 {"_id": "P2", "name": "乙", "category": "migrant", "address_code": "A1",
                  "key_persons": {"K1": {"state": "listed"}}}]
    answer = occupants_of(house, residents, {d["_id"]: d for d in residents})
    assert answer["residents_by_category"] == {"registered": 1, "migrant": 1}
    assert [t["person_id"] for t in answer["tenants"]] == ["P2"] and answer["key_person_present"]
    assert answer["security_persons"] == [{"person_id": "L"}]
