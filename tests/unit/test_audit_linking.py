"""人地关联: a record is linked only at an in-use standard address the address registry published — a door plate
or place in use, or a generated room inside a building its in-use door plate describes."""

from __future__ import annotations

from stdnum import damm

from contracts.address_codes import is_valid_address_code, room_code
from contracts.buildings import BuildingSpec, iter_rooms
from services.audit.domain.metrics import Record, address_in_use, metrics

PLATE = "532503001500000000000000"
BUILDING = {"building": "1栋", "building_seq": 1, "units": 1, "floors": 3, "rooms_per_floor": 2, "room_count": 6,
            "underground_floors": 0, "underground_rooms_per_floor": 0, "shopfronts": 0, "seq_digits": 2,
            "skip_floor_numbers": []}


def a_plate() -> str:
    plate = PLATE[:23] + str(damm.calc_check_digit(PLATE[:23]))
    assert is_valid_address_code(plate)
    return plate


def a_room_of(plate: str) -> str:
    room = next(iter_rooms(BuildingSpec(units=1, floors=3, rooms_per_floor=2)))
    return room_code(plate, 1, room)


def test_a_room_is_linked_through_its_plate_and_building():
    plate = a_plate()
    room = a_room_of(plate)
    assert len(room) == 35
    in_use = {plate: {"status": "in_use", "buildings": [BUILDING]}}.get
    assert address_in_use(room, in_use)
    assert not address_in_use(room, {plate: {"status": "retired", "buildings": [BUILDING]}}.get), \
        "a retired plate's rooms are not linked"
    assert not address_in_use(room, {}.get), "an unknown plate's rooms are not linked"
    assert not address_in_use(room, {plate: {"status": "in_use", "buildings": []}}.get), \
        "a room of a building the plate never described is not linked"
    assert not address_in_use(room[:-1] + str((int(room[-1]) + 1) % 10), in_use), "a bad check digit"


def test_a_made_up_24_digit_room_code_is_not_linked():
    """The known wrong figure: any 24-digit code of element type 62 (户室) counted as linked."""
    made_up = "532503001" + "62" + "1" * 13
    plate = a_plate()
    records = [Record(f"doorplate-{plate}", "Doorplate", {"code": plate, "status": "in_use", "buildings": [BUILDING]},
                      "532503001", "GW"),
               Record("person-1", "Person", {"address_code": made_up, "category": "registered"}, "532503001", "GW"),
               Record("person-2", "Person", {"address_code": a_room_of(plate), "category": "registered"},
                      "532503001", "GW")]
    from datetime import datetime, timezone

    values = metrics(records, datetime(2026, 10, 31, tzinfo=timezone.utc))
    assert (values["persons_linked"], values["persons_unlinked"]) == (1, 1)
    assert not address_in_use(made_up, {}.get)
