"""What the registries hold, in the truth's figures: read from their read models (read-only), counted with the
registries' own rules, so a loaded city can be compared with ``truth.json`` figure by figure.

Used by the integration test and bench/city.py; ``ybss city verify DIR`` prints the figures that differ.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any

from contracts.inspections import inspection_cycles, overdue_for_inspection
from services.city.truth import COUNTY, PREFECTURE, Truth
from services.kernel.messaging.generations import active_generation
from services.kernel.messaging.projection import physical_name

PLATE_CODE_LENGTH = 24
CYCLES = inspection_cycles()  #: 超期未检查 by the registries' rule with the shipped cycles, as the city was generated


async def _documents(client, settings, context: str, projection: str, collection: str, query: dict | None = None):
    db = client[settings.database_name(context)]
    generation = await active_generation(db, projection)
    return [doc async for doc in db[physical_name(collection, generation)].find(query or {})]


async def registry_figures(client, settings, as_of: date) -> dict[str, dict[str, Any]]:
    """The truth's figures as the registries' read models have them, per township and for the county."""
    truth = Truth()
    plates = await _documents(client, settings, "address", "address-registry", "doorplates")
    places = await _documents(client, settings, "address", "address-registry", "places")
    in_use = {p["code"] for p in plates if p.get("status") == "in_use"}

    def linked(code: str | None) -> bool:
        return bool(code) and code[:PLATE_CODE_LENGTH] in in_use

    doors: dict[str, Counter] = defaultdict(Counter)
    for plate in plates:
        division = plate["division_code"]
        if plate.get("status") == "in_use":
            truth.add(division, "doorplates_total")
            doors[division][plate.get("door_key")] += 1
            truth.add(division, "rooms_total", sum(b.get("room_count", 0) for b in plate.get("buildings", [])))
        elif plate.get("status") == "retired":
            truth.add(division, "doorplates_retired")
    for division, keys in doors.items():
        truth.add(division, "doorplates_duplicates_open", sum(n - 1 for n in keys.values()))
    for place in places:
        if place.get("status") == "in_use":
            truth.add(place["division_code"], "places_total")
    documents: dict[str, Counter] = defaultdict(Counter)
    for person in await _documents(client, settings, "person", "person-registry", "persons"):
        division = person["division_code"]
        if person.get("status") == "cancelled":
            truth.add(division, "persons_cancelled")
        if person.get("status") != "active":
            continue
        truth.person(division, person["category"])
        truth.add(division, "persons_linked", int(linked(person.get("current_address_code"))))
        truth.add(division, "persons_phone_collected", int(bool(person.get("phone"))))
        truth.add(division, "persons_logic_errors", int(bool(person.get("logic_errors"))))
        documents[division][person["document_number"]] += 1
    for division, numbers in documents.items():
        truth.add(division, "persons_duplicates_open", sum(n - 1 for n in numbers.values()))
    for listing in await _documents(client, settings, "person", "person-registry", "key_persons"):
        truth.add(listing["division_code"], "key_persons_listed", int(listing.get("state") == "listed"))
    month = (as_of.year, as_of.month)
    for house in await _documents(client, settings, "house", "house-registry", "houses"):
        division = house["division_code"]
        truth.add(division, "houses_total")
        truth.add(division, "houses_linked", int(linked(house.get("address_code"))))
        active = [r for r in house.get("rentals", []) if r.get("status") == "active"]
        if active:
            truth.add(division, "houses_rented")
            checked = any(tuple(map(int, str(c.get("checked_on"))[:7].split("-"))) == month
                          for c in house.get("checks", []))
            truth.add(division, "rentals_not_checked_this_month", int(not checked))
        truth.add(division, "tenants_current", sum(1 for r in active for t in r.get("tenants", [])
                                                   if not t.get("moved_out")))
    for unit in await _documents(client, settings, "unit", "unit-registry", "units"):
        division = unit["division_code"]
        truth.add(division, "units_total")
        truth.add(division, "units_linked", int(linked(unit.get("address_code"))))
        truth.add(division, "units_special_trade", int(bool(unit.get("special_trades"))))
        truth.add(division, "special_trade_inspections_overdue", int(overdue_for_inspection(unit, CYCLES, as_of)))
        truth.add(division, "employees_current", sum(1 for e in unit.get("employees", []) if not e.get("left")))
    return truth.divisions()


def differences(expected: dict[str, dict], found: dict[str, dict]) -> list[str]:
    """Every figure of every division that differs, as 'division figure: expected ≠ found'."""
    problems = []
    for division in sorted(set(expected) | set(found)):
        want, got = expected.get(division, {}), found.get(division, {})
        for figure in sorted(set(want) | set(got)):
            if want.get(figure, 0) != got.get(figure, 0) and want.get(figure) != {} and got.get(figure) != {}:
                problems.append(f"{division} {figure}: truth {want.get(figure)} ≠ registries {got.get(figure)}")
    return problems


__all__ = ["COUNTY", "PREFECTURE", "differences", "registry_figures"]
