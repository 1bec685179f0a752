"""Building structure generation (生成层户)."""

from __future__ import annotations

import time

import pytest

from contracts.buildings import (
    BuildingSpec,
    BuildingSpecError,
    Room,
    RoomNumbering,
    floor_labels,
    count_rooms,
    generate_rooms,
    iter_rooms,
    room_at,
)


def test_default_numbering_is_floor_times_100_plus_sequence():
    rooms = generate_rooms(BuildingSpec(units=2, floors=12, rooms_per_floor=4))
    assert len(rooms) == 2 * 12 * 4
    assert rooms[0] == Room("room", 1, 1, "101", "1单元101室", 1)
    assert Room("room", 2, 12, "1203", "2单元1203室", 3) in rooms
    assert len({(r.unit, r.room_number) for r in rooms}) == len(rooms)


def test_wide_floors_use_floor_times_1000():
    rooms = generate_rooms(BuildingSpec(units=1, floors=2, rooms_per_floor=120))
    assert rooms[0].room_number == "1001" and rooms[-1].room_number == "2120"
    forced = generate_rooms(BuildingSpec(floors=12, rooms_per_floor=3, numbering=RoomNumbering(seq_digits=3)))
    assert forced[-1].room_number == "12003"


def test_underground_and_shop_fronts():
    spec = BuildingSpec(
        units=1, floors=3, rooms_per_floor=2, underground_floors=2, underground_rooms_per_floor=3, shop_fronts=4
    )
    rooms = generate_rooms(spec)
    assert len(rooms) == spec.room_count == 6 + 6 + 4
    underground = [r for r in rooms if r.kind == "underground"]
    assert underground[0] == Room("underground", None, -1, "B1-01", "B1-01室", 1)
    assert underground[-1].room_number == "B2-03"
    shops = [r for r in rooms if r.kind == "shop"]
    assert [s.label for s in shops] == ["门面1", "门面2", "门面3", "门面4"]


def test_skipped_floor_numbers():
    assert floor_labels(6, frozenset({4})) == [1, 2, 3, 5, 6, 7]
    rooms = generate_rooms(
        BuildingSpec(floors=15, rooms_per_floor=1, numbering=RoomNumbering(skip_floor_numbers=frozenset({4, 13, 14})))
    )
    floors = [r.floor for r in rooms]
    assert len(floors) == 15 and 4 not in floors and 13 not in floors and floors[-1] == 18


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"units": 0}, "units"),
        ({"units": 21}, "units"),
        ({"floors": 151}, "floors"),
        ({"rooms_per_floor": 1000}, "rooms_per_floor"),
        ({"underground_floors": 11, "underground_rooms_per_floor": 1}, "underground_floors"),
        ({"underground_floors": 1}, "underground_rooms_per_floor"),
        ({"shop_fronts": -1}, "shop_fronts"),
        ({"floors": 2.5}, "floors"),
        ({"units": True}, "units"),
        ({"rooms_per_floor": 120, "numbering": RoomNumbering(seq_digits=2)}, "numbering.seq_digits"),
    ],
)
def test_ranges_are_validated_with_the_field_named(kwargs, field):
    with pytest.raises(BuildingSpecError) as info:
        BuildingSpec(**kwargs)
    assert info.value.field == field
    assert " / " in str(info.value)


def test_the_largest_building_is_counted_paged_and_looked_up_without_listing_it():
    """20 × 150 × 999 = three million rooms: the last page, a count by number and one room by position come from
    the description (generate_rooms would build three million tuples)."""
    spec = BuildingSpec(units=20, floors=150, rooms_per_floor=999, underground_floors=10,
                        underground_rooms_per_floor=999, shop_fronts=999)
    assert count_rooms(spec) == spec.room_count == 2_997_000 + 9_990 + 999
    last = list(iter_rooms(spec, offset=spec.room_count - 2))
    assert [room.label for room in last] == ["门面998", "门面999"]
    assert count_rooms(spec, room_number="150999") == 20
    assert [room.unit for room in iter_rooms(spec, room_number="150999")][:3] == [1, 2, 3]
    assert count_rooms(spec, unit=7, floor=12) == 999
    assert room_at(spec, "room", 20, 150, 999) == Room("room", 20, 150, "150999", "20单元150999室", 999)
    assert room_at(spec, "underground", None, -10, 999).label == "B10-999室"
    assert room_at(spec, "room", 21, 1, 1) is None and room_at(spec, "room", 1, 151, 1) is None


def test_paging_equals_slicing_the_full_list():
    spec = BuildingSpec(units=2, floors=5, rooms_per_floor=3, underground_floors=1, underground_rooms_per_floor=2,
                        shop_fronts=2, numbering=RoomNumbering(skip_floor_numbers=frozenset({4})))
    every = generate_rooms(spec)
    for offset in (0, 1, 14, 15, 29, 33, 34):
        assert list(iter_rooms(spec, offset=offset)) == every[offset:]
    assert list(iter_rooms(spec, unit=2, floor=5)) == [r for r in every if r.unit == 2 and r.floor == 5]
    assert list(iter_rooms(spec, floor=-1)) == [r for r in every if r.kind == "underground"]
    assert [r.room_number for r in iter_rooms(spec, room_number="门面2")] == ["门面2"]
    assert count_rooms(spec, room_number="401") == 0, "floor label 4 is skipped"
