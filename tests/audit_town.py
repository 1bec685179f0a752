"""A seeded town of events for the supervisor figures: the tests and bench/audit_figures.py feed the same events to
the incremental figures and to the re-fold they are compared with.

Over three weeks of October 2026: a community with a road, a road outside any community, door plates (some with
a generated building, some retired or merged later, some numbered twice), persons of every category (migrants
with registrations and permits running out, foreigners overstaying, duplicated ID numbers, logic errors, phones)
living at plates, at generated rooms, at made-up 24-digit 户室 codes or unknown codes, some moving township,
some held at the county itself, some cancelled; houses let and checked; units with special trades, inspections
and overdue rectifications, some closed. Places are recorded first (the address hierarchy is known before the
records that hang on it).
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone

from contracts.address import (BuildingStructureGenerated, DoorplateMergedInto, DoorplateRegistered,
                               DoorplateRetired, PlaceRegistered)
from contracts.address_codes import room_code
from contracts.buildings import BuildingSpec, iter_rooms
from stdnum import damm

from contracts.envelope import Actor, EventEnvelope
from contracts.house import RentalStarted

COUNTY = "532503"
TOWNSHIPS = ("532503105", "532503106")
START = datetime(2026, 10, 1, 1, 0, tzinfo=timezone.utc)
DAYS = 21
CONTEXT_OF = {"Place": "address", "Doorplate": "address", "Person": "person", "House": "house", "Unit": "unit"}


class Town:
    """Envelopes with consecutive versions per stream, in each stream's order."""

    def __init__(self, seed: int = 7, tag: str | None = None, county: str = COUNTY, townships: int = 2,
                 spread: int = 1) -> None:
        self.county = county
        self.townships = tuple(f"{county}{105 + k:03d}" for k in range(townships))
        self.spread = spread  #: days per generated day (a year of history for the bench)
        self.random = random.Random(seed)
        self.tag = tag or uuid.uuid4().hex[:8]
        self.versions: dict[str, int] = defaultdict(int)
        self.events: list[EventEnvelope] = []
        self.last: dict[str, datetime] = {}

    def add(self, stream_type: str, stream_id: str, event_type: str, payload: dict, at: datetime,
            division: str | None, actor: str = "GW-1") -> None:
        self.versions[stream_id] += 1
        at = max(at, self.last.get(stream_id, at) + timedelta(seconds=1)) if stream_id in self.last else at
        self.last[stream_id] = at  # a stream's events are recorded in order
        self.events.append(EventEnvelope(
            event_type=event_type, stream_id=stream_id, stream_type=stream_type, version=self.versions[stream_id],
            occurred_at=at, recorded_at=at, correlation_id=f"town-{self.tag}", division_code=division,
            actor=Actor(id=actor, role="collector", organisation_code=division or self.county), payload=payload))

    def when(self, day: int) -> datetime:
        return START + timedelta(days=day * self.spread, seconds=self.random.randint(0, 20 * 3600))


def place_code(township: str, kind: str, n: int) -> str:
    return f"{township}{kind}{n:013d}"


def build(persons: int = 60, seed: int = 7, tag: str | None = None, county: str = COUNTY, townships: int = 2,
          spread: int = 1) -> Town:
    town = Town(seed, tag, county, townships, spread)
    r = town.random
    townships = town.townships
    community = place_code(townships[0], "31", 1)
    roads = {community: place_code(townships[0], "41", 1),
             **{township: place_code(township, "41", 2 + k) for k, township in enumerate(townships)}}
    town.add("Place", f"place-{community}-{town.tag}", "PlaceRegistered", PlaceRegistered(
        code=community, element_type="31", name="生成社区", parent_code=townships[0],
        division_code=townships[0]).model_dump(mode="json"), START, townships[0])
    for parent, road in roads.items():
        township = road[:9]
        town.add("Place", f"place-{road}-{town.tag}", "PlaceRegistered", PlaceRegistered(
            code=road, element_type="41", name=f"生成路{road[-1]}", parent_code=parent,
            division_code=township).model_dump(mode="json"), START, township)
    plates: list[str] = []
    building = BuildingSpec(units=1, floors=3, rooms_per_floor=2)
    rooms: list[str] = []
    for n in range(max(6, persons // 4)):
        road = list(roads.values())[n % len(roads)]
        township = road[:9]
        body = f"{township}50{r.randint(10**9, 10**10):012d}"
        code = body + str(damm.calc_check_digit(body))
        number = str(n // 2 if n % 7 == 0 else n)  # every 7th plate numbered like its neighbour: open duplicates
        stream = f"doorplate-{code}"
        day = r.randint(0, 4)
        town.add("Doorplate", stream, "DoorplateRegistered", DoorplateRegistered(
            # the road's own name, as the registry writes it: a plate naming its road otherwise would make every
            # address replica depend on which of the two events it applied first (rebuild ≠ live)
            code=code, division_code=township, place_code=road, place_name=f"生成路{road[-1]}", number=number,
            location={"type": "Point", "coordinates": [103.4, 23.4]} if n % 2 else None).model_dump(mode="json"),
            town.when(day), township)
        plates.append(code)
        if n % 5 == 1:
            town.add("Doorplate", stream, "BuildingStructureGenerated", BuildingStructureGenerated(
                code=code, building="1栋", building_seq=1, units=1, floors=3, rooms_per_floor=2,
                room_count=6).model_dump(mode="json"), town.when(day + 1), township)
            rooms += [room_code(code, 1, room) for room in list(iter_rooms(building))[:3]]
        if n % 9 == 4:
            town.add("Doorplate", stream, "DoorplateRetired", DoorplateRetired(
                code=code, reason="拆迁", retired_on="2026-10-12").model_dump(mode="json"), town.when(11), township)
        elif n % 11 == 6:
            town.add("Doorplate", stream, "DoorplateMergedInto", DoorplateMergedInto(
                code=code, survivor_code=plates[0]).model_dump(mode="json"), town.when(9), township)
    made_up = f"{townships[0]}62{1:013d}"  # a 户室 code the registry never published
    for n in range(persons):
        person_persons(town, n, plates, rooms, made_up)
    for n in range(max(2, persons // 5)):
        houses(town, n, plates)
    for n in range(max(2, persons // 8)):
        units(town, n, plates)
    return town


def person_persons(town: Town, n: int, plates: list[str], rooms: list[str], made_up: str) -> None:
    r = town.random
    pid = f"P-{town.tag}-{n}"
    stream = f"person-{pid}"
    division = town.county if n % 13 == 0 else town.townships[n % len(town.townships)]
    category = ("registered", "migrant", "foreigner", "registered", "migrant")[n % 5]
    details = {}
    if category == "migrant":
        details = {"registration_valid_until": (date(2026, 10, 1) + timedelta(days=r.randint(-5, 30))).isoformat(),
                   "residence_permit_expiry": (date(2026, 10, 1) + timedelta(days=r.randint(0, 60))).isoformat()}
    elif category == "foreigner":
        details = {"permitted_stay_until": (date(2026, 10, 1) + timedelta(days=r.randint(0, 25))).isoformat()}
    day = r.randint(0, 8)
    town.add("Person", stream, "PersonRegistered", {
        "person_id": pid, "name": f"人{n}", "document_type": "id_card",
        "document_number": f"X-{town.tag}-{n if n % 6 else n // 12}", "phone": "+861380000" if n % 3 else None,
        "category": category, "details": details, "division_code": division,
        "logic_errors": [{"field": "sex", "rule": "id.sex"}] if n % 10 == 3 else []}, town.when(day), division,
        actor=f"GW-{n % 3}")
    choice = n % 7
    address = (r.choice(rooms) if choice == 1 and rooms else made_up if choice == 2
               else f"{town.townships[0]}50{n:013d}" if choice == 3 else r.choice(plates))
    day += r.randint(0, 3)
    town.add("Person", stream, "ResidenceRegistered", {"person_id": pid, "address_code": address,
                                                       "moved_in": "2026-10-01", "reason": "居住"},
             town.when(day), division)
    if n % 8 == 5:  # moves township
        moved = town.townships[(n + 1) % len(town.townships)]
        town.add("Person", stream, "ResidenceRegistered", {"person_id": pid, "address_code": r.choice(plates),
                                                           "moved_in": "2026-10-15", "reason": "迁居",
                                                           "division_code": moved}, town.when(day + 4), moved)
    if n % 9 == 7:
        town.add("Person", stream, "PersonCancelled", {"person_id": pid, "reason": "moved_away",
                                                       "cancelled_on": "2026-10-18"}, town.when(min(day + 6, DAYS - 1)),
                 None)


def houses(town: Town, n: int, plates: list[str]) -> None:
    r = town.random
    hid = f"{town.tag}-H{n}"
    stream, plate = f"house-{hid}", r.choice(plates)
    division = plate[:9]
    day = r.randint(0, 6)
    town.add("House", stream, "HouseRegistered", {
        "house_id": hid, "address_code": plate, "address_kind": "doorplate", "division_code": division,
        "property_nature": "private", "use": ("rented", "self_occupied", "rented", "vacant")[n % 4]},
        town.when(day), division)
    if n % 2 == 0:
        town.add("House", stream, "RentalStarted", RentalStarted(
            house_id=hid, rental_id="R1", lessor={"name": "房东"}, lessor_role="owner", rooms_let=1,
            start=date(2026, 10, 1), security_person={"name": "房东"}).model_dump(mode="json"),
            town.when(day + 1), division)
    if n % 4 == 0:
        town.add("House", stream, "HouseChecked", {"house_id": hid, "check_id": f"C{n}", "checked_on": "2026-09-28",
                                                   "checker": "PC-1", "anyone_home": True}, town.when(day + 2), division)
    if n % 3 == 0:
        town.add("House", stream, "HouseChecked", {"house_id": hid, "check_id": f"D{n}", "checked_on": "2026-10-10",
                                                   "checker": "PC-1", "anyone_home": True}, town.when(10), division)


def units(town: Town, n: int, plates: list[str]) -> None:
    r = town.random
    uid = f"{town.tag}-U{n}"
    stream, plate = f"unit-{uid}", r.choice(plates)
    division = plate[:9]
    day = r.randint(0, 5)
    town.add("Unit", stream, "UnitRegistered", {
        "unit_id": uid, "name": f"单位{n}", "unit_type": ("enterprise", "individual")[n % 2], "industry_code": "H61",
        "address_code": plate, "division_code": division, "opened_on": "2026-08-01"}, town.when(day), division)
    if n % 2 == 0:
        town.add("Unit", stream, "SpecialTradeAdded", {"unit_id": uid, "trade": "hotel", "since": "2026-09-01"},
                 town.when(day + 1), division)
    if n % 3 == 0:
        town.add("Unit", stream, "UnitInspected", {
            "unit_id": uid, "inspection_id": f"I{n}", "inspected_on": "2026-10-03", "inspectors": ["PC-1"],
            "rectification_required": True, "rectification_deadline": "2026-10-09"}, town.when(day + 2), division)
    if n % 5 == 4:
        town.add("Unit", stream, "UnitClosed", {"unit_id": uid, "on": "2026-10-16"}, town.when(15), division)


def context_of(envelope: EventEnvelope) -> str:
    return CONTEXT_OF[envelope.stream_type]
