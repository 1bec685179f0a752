"""A person, house or unit at a generated room is linked while the room's door plate is in use."""

from __future__ import annotations

from contracts.address_codes import room_code
from contracts.buildings import BuildingSpec, iter_rooms
from services.audit.domain.metrics import is_linked

PLATE = "532503001500000000000000"


def a_room_of(plate: str) -> str:
    room = next(iter_rooms(BuildingSpec(units=1, floors=3, rooms_per_floor=2)))
    return room_code(plate, 1, room)


def test_a_room_is_linked_through_its_plate():
    from contracts.address_codes import is_valid_address_code
    from stdnum import damm

    plate = PLATE[:23] + str(damm.calc_check_digit(PLATE[:23]))
    assert is_valid_address_code(plate)
    room = a_room_of(plate)
    assert len(room) == 35
    assert is_linked(room, in_use={plate}, gone=set())
    assert not is_linked(room, in_use=set(), gone={plate}), "a retired plate's rooms are not linked"
    assert not is_linked(room, in_use=set(), gone=set()), "an unknown plate's rooms are not linked"
    assert not is_linked(room[:-1] + str((int(room[-1]) + 1) % 10), in_use={plate}, gone=set()), "a bad check digit"
