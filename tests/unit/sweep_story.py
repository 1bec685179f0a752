"""A story of the sweeps' joined gaps (门牌无房、房内无人) for the figures: door plates with and without houses, rooms
generated before and after a house names one, a demolition, a rental started and ended, a house registered before
its plate, residents moving in, out and away, a person held at the county. ``EXPECTED`` is what the house
service's sweeps would list per township at each day's end (worked out by hand in the comments)."""

from __future__ import annotations

from datetime import timedelta

from stdnum import damm

from contracts.address import BuildingStructureGenerated, DoorplateRegistered, DoorplateRetired, PlaceRegistered
from contracts.address_codes import room_code
from contracts.buildings import BuildingSpec, iter_rooms
from tests.audit_town import COUNTY, START, Town, place_code

T1, T2 = f"{COUNTY}105", f"{COUNTY}106"

#: {township: {day: (plates without house, houses without residents) from that day on}}
EXPECTED = {
    # A, B, C, G open; B housed (d2); C's room housed (d3); HB demolished (d8) opens B; G's rooms generated (d9)
    # cover its room house HG; A retired (d10). HB empty (d2); HC rented (d3); HG empty (d4); HC's rental ends (d6);
    # P1 moves into HC's room (d7); HB demolished (d8); P1 leaves (d12)
    T1: {0: (4, 0), 2: (3, 1), 3: (2, 1), 4: (2, 2), 6: (2, 3), 7: (2, 2), 8: (3, 1), 9: (2, 1), 10: (1, 1),
         12: (1, 2)},
    # D, E open; HD at D where P2 lives (d1); HF at F before F exists (d2); HE at E where P3 (county) lives (d5);
    # F registered, housed already (d6); P2 moves to A (d9): HD empty; P2 cancelled (d14): nothing changes
    T2: {0: (2, 0), 1: (1, 0), 2: (1, 1), 5: (0, 1), 9: (0, 2)},
}


def expected(township: str, day: int) -> tuple[int, int]:
    return EXPECTED[township][max(d for d in EXPECTED[township] if d <= day)]


def _plate(town: Town, township: str, road: str, n: int) -> str:
    body = f"{township}50{n:012d}"
    code = body + str(damm.calc_check_digit(body))
    town.add("Doorplate", f"doorplate-{code}-{town.tag}", "DoorplateRegistered", DoorplateRegistered(
        code=code, division_code=township, place_code=road, place_name="巡查路", number=str(n)).model_dump(mode="json"),
        START, township)
    return code


def story(tag: str | None = None) -> Town:
    town = Town(seed=1, tag=tag)
    on = lambda day, minute=0: START + timedelta(days=day, minutes=minute)  # noqa: E731 - 09:00 Beijing on day
    roads = {T1: place_code(T1, "41", 7), T2: place_code(T2, "41", 8)}
    for township, road in roads.items():
        town.add("Place", f"place-{road}-{town.tag}", "PlaceRegistered", PlaceRegistered(
            code=road, element_type="41", name="巡查路", parent_code=township, division_code=township
        ).model_dump(mode="json"), START, township)
    a, b, c, g = (_plate(town, T1, roads[T1], n) for n in (1, 2, 3, 4))
    d, e = (_plate(town, T2, roads[T2], n) for n in (5, 6))
    first_room = next(iter(iter_rooms(BuildingSpec(units=1, floors=2, rooms_per_floor=2))))

    def building(plate: str, day: int) -> None:
        town.add("Doorplate", f"doorplate-{plate}-{town.tag}", "BuildingStructureGenerated", BuildingStructureGenerated(
            code=plate, building="1栋", building_seq=1, units=1, floors=2, rooms_per_floor=2, room_count=4
        ).model_dump(mode="json"), on(day), plate[:9])

    def house(name: str, address: str, township: str, day: int) -> str:
        hid = f"{town.tag}-{name}"
        town.add("House", f"house-{hid}", "HouseRegistered", {
            "house_id": hid, "address_code": address, "address_kind": "room" if len(address) > 24 else "doorplate",
            "division_code": township, "property_nature": "private", "use": "self_occupied"}, on(day), township)
        return hid

    def house_event(hid: str, event_type: str, payload: dict, day: int) -> None:
        town.add("House", f"house-{hid}", event_type, {"house_id": hid, **payload}, on(day, 5), T1)

    def person(name: str, division: str, address: str, day: int) -> str:
        pid = f"P-{town.tag}-{name}"
        town.add("Person", f"person-{pid}", "PersonRegistered", {
            "person_id": pid, "name": name, "document_type": "id_card", "document_number": f"S-{town.tag}-{name}",
            "category": "registered", "details": {}, "division_code": division}, on(day), division)
        town.add("Person", f"person-{pid}", "ResidenceRegistered", {
            "person_id": pid, "address_code": address, "moved_in": on(day).date().isoformat(), "reason": "居住"},
            on(day, 1), division)
        return pid

    def person_event(pid: str, event_type: str, payload: dict, day: int, division: str | None) -> None:
        town.add("Person", f"person-{pid}", event_type, {"person_id": pid, **payload}, on(day, 5), division)

    building(c, 1)
    c_room, g_room = room_code(c, 1, first_room), room_code(g, 1, first_room)
    hb = house("HB", b, T1, 2)
    hc = house("HC", c_room, T1, 3)
    house_event(hc, "RentalStarted", {"rental_id": "R1", "lessor": {"name": "房东"}, "lessor_role": "owner",
                                      "rooms_let": 1, "start": "2026-10-04", "security_person": {"name": "房东"}}, 3)
    house("HG", g_room, T1, 4)
    house_event(hc, "RentalEnded", {"rental_id": "R1", "ended_on": "2026-10-07", "reason": "到期"}, 6)
    p1 = person("P1", T1, c_room, 7)
    house_event(hb, "HouseDemolished", {"on": "2026-10-09", "reason": "旧城改造拆除"}, 8)
    building(g, 9)
    town.add("Doorplate", f"doorplate-{a}-{town.tag}", "DoorplateRetired", DoorplateRetired(
        code=a, reason="拆迁", retired_on="2026-10-11").model_dump(mode="json"), on(10), T1)
    person_event(p1, "ResidenceEnded", {"address_code": c_room, "moved_out": "2026-10-13"}, 12, T1)

    p2 = person("P2", T2, d, 0)
    house("HD", d, T2, 1)
    body = f"{T2}50{7:012d}"
    f = body + str(damm.calc_check_digit(body))
    house("HF", f, T2, 2)  # before its door plate reaches the registry's topic
    person("P3", COUNTY, e, 1)
    house("HE", e, T2, 5)
    town.add("Doorplate", f"doorplate-{f}-{town.tag}", "DoorplateRegistered", DoorplateRegistered(
        code=f, division_code=T2, place_code=roads[T2], place_name="巡查路", number="7").model_dump(mode="json"),
        on(6), T2)
    person_event(p2, "ResidenceRegistered", {"address_code": a, "moved_in": "2026-10-10", "reason": "迁居"}, 9, T2)
    person_event(p2, "PersonCancelled", {"reason": "moved_away", "cancelled_on": "2026-10-15"}, 14, T2)
    return town
