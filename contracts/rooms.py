"""Generated rooms (层户) read from their door plate's building descriptions, never stored one by one.

Published with the events (contracts/): the address service, the replicas other contexts keep and the audit
all expand a BuildingStructureGenerated event into the same rooms, names and codes.

Why: a building of 20 units × 150 floors × 999 rooms is three million rooms. Written as documents they would
take longer than a projection transaction may live (10 s) and replay as slowly; described, they are one
summary on the door plate (written with the event, in the transaction). A room's code carries its plate,
building and position (contracts.address_codes.room_code), so listing, counting and looking a room up are arithmetic over that
description, and a rebuild costs nothing per room.
"""

from __future__ import annotations

from typing import Iterator

from contracts.address_codes import ROOM_CODE_LENGTH, parse_room_code, room_code
from contracts.buildings import Room, building_spec, count_rooms, iter_rooms, room_at


def room_document(plate: dict, summary: dict, room: Room) -> dict:
    """A room in the API's shape (the shape the stored room records had)."""
    building = summary["building"]
    return {"code": room_code(plate["_id"], summary["building_seq"], room), "doorplate_code": plate["_id"],
            "building": building, "building_seq": summary["building_seq"], "kind": room.kind, "unit": room.unit,
            "floor": room.floor, "room_number": room.room_number, "label": room.label,
            "name_suffix": f"{building}{room.label}", "full_name": plate.get("full_name", "") + f"{building}{room.label}"}


def _buildings(plate: dict, building_seq: int | None) -> list[dict]:
    summaries = sorted(plate.get("buildings") or [], key=lambda summary: summary["building_seq"])
    return [summary for summary in summaries if building_seq is None or summary["building_seq"] == building_seq]


def count_plate_rooms(plate: dict, building_seq: int | None = None, unit: int | None = None,
                      floor: int | None = None, room_number: str | None = None) -> int:
    return sum(count_rooms(building_spec(summary), unit, floor, room_number) for summary in _buildings(plate, building_seq))


def plate_rooms(plate: dict, building_seq: int | None = None, unit: int | None = None, floor: int | None = None,
                room_number: str | None = None, offset: int = 0) -> Iterator[dict]:
    """The plate's rooms in order (building, unit, floor, number), filtered, from ``offset``."""
    for summary in _buildings(plate, building_seq):
        spec = building_spec(summary)
        size = count_rooms(spec, unit, floor, room_number)
        if offset >= size:
            offset -= size
            continue
        for room in iter_rooms(spec, unit, floor, room_number, offset):
            yield room_document(plate, summary, room)
        offset = 0


def is_room_code(code: str) -> bool:
    return len(code) == ROOM_CODE_LENGTH and code.isdigit()


def doorplate_of_room(code: str) -> str | None:
    """The door plate a room code hangs on, or None when ``code`` is not a valid room code."""
    try:
        return parse_room_code(code).doorplate_code
    except ValueError:
        return None


def room_by_code(plate: dict, code: str) -> dict | None:
    """The room ``code`` names on ``plate``, or None when the plate has no such building or room."""
    parts = parse_room_code(code)
    for summary in _buildings(plate, parts.building_seq):
        room = room_at(building_spec(summary), parts.kind, parts.unit, parts.floor, parts.seq)
        if room is not None:
            return room_document(plate, summary, room)
    return None
