"""Room codes (户室编码): the door plate's code + the room's position, collision-free by construction."""

from __future__ import annotations

import pytest

from contracts.buildings import BuildingSpec, building_spec, iter_rooms, room_at
from contracts.address_codes import ROOM_CODE_LENGTH, parse_room_code, room_code
from services.address.domain.codes import address_code
from contracts.rooms import count_plate_rooms, plate_rooms, room_by_code

ROAD = address_code("532503001", 41, "天马路")
PLATE = address_code("532503001", 50, "18号", parent_code=ROAD)
OTHER_PLATE = address_code("532503001", 50, "20号", parent_code=ROAD)
SPEC = BuildingSpec(units=20, floors=150, rooms_per_floor=20, underground_floors=10, underground_rooms_per_floor=99,
                    shop_fronts=999)


def test_every_room_of_a_large_building_has_its_own_code_that_leads_back_to_it():
    codes = {}
    for room in iter_rooms(SPEC):
        code = room_code(PLATE, 3, room)
        assert len(code) == ROOM_CODE_LENGTH and code.startswith(PLATE)
        codes[code] = room
    assert len(codes) == SPEC.room_count == 60_000 + 990 + 999
    for code, room in list(codes.items())[::997]:
        parts = parse_room_code(code)
        assert (parts.doorplate_code, parts.building_seq) == (PLATE, 3)
        assert room_at(SPEC, parts.kind, parts.unit, parts.floor, parts.seq) == room


def test_the_same_position_on_another_building_or_plate_is_another_code():
    room = next(iter_rooms(SPEC))
    assert len({room_code(PLATE, 1, room), room_code(PLATE, 2, room), room_code(OTHER_PLATE, 1, room)}) == 3
    assert room_code(PLATE, 1, room) == room_code(PLATE, 1, room), "deterministic: a replay gives the same code"


def test_the_code_reads_as_plate_building_unit_floor_room():
    room = room_at(BuildingSpec(units=2, floors=12, rooms_per_floor=4), "room", 2, 12, 3)
    assert room.label == "2单元1203室"
    assert room_code(PLATE, 1, room)[24:34] == "01" "02" "012" "003"


def test_a_mistyped_room_code_is_refused():
    code = room_code(PLATE, 1, next(iter_rooms(SPEC)))
    typo = code[:30] + str((int(code[30]) + 1) % 10) + code[31:]
    for bad in (typo, code[:-1], PLATE, "x" * ROOM_CODE_LENGTH):
        with pytest.raises(ValueError):
            parse_room_code(bad)


def test_rooms_of_a_plate_are_listed_and_looked_up_from_its_building_descriptions():
    summary = {"building": "3栋", "building_seq": 1, "units": 20, "floors": 150, "rooms_per_floor": 999,
               "underground_floors": 0, "underground_rooms_per_floor": 0, "shopfronts": 2, "seq_digits": None,
               "skip_floor_numbers": [], "room_count": 2_997_002}
    plate = {"_id": PLATE, "full_name": "云南省红河州蒙自市文澜街道天马路18号", "buildings": [summary]}
    assert building_spec(summary).room_count == 2_997_002
    assert count_plate_rooms(plate) == 2_997_002
    last = list(plate_rooms(plate, offset=2_997_000))
    assert [room["full_name"] for room in last] == ["云南省红河州蒙自市文澜街道天马路18号3栋门面1",
                                                     "云南省红河州蒙自市文澜街道天马路18号3栋门面2"]
    found = room_by_code(plate, last[0]["code"])
    assert found == last[0]
    elsewhere = room_code(PLATE, 2, room_at(building_spec(summary), "shop", None, 1, 1))
    assert room_by_code(plate, elsewhere) is None, "no building 2 on this plate"
