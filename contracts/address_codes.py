"""The structure of standard address codes (标准地址编码), as published: every consumer reads codes the same way.

A 24-digit code = township (9) + GA/T 2000.32 element type (2) + identity (12) + Damm check digit; how the
address service *mints* the identity is its own business (services/address/domain/codes.py), but checking a
code and reading a generated room's code are part of the published language: the person, house and unit
services and the audit take a room's door plate and position from its code without the address service.
A generated room (生成层户) has a 35-digit position code: its door plate's code + building + unit + floor +
number on the floor + check digit (see ``room_code``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum import damm

from contracts.buildings import Room, RoomKind
from contracts.elements import ElementType, parse_element_type

CODE_LENGTH = 24
_CODE = re.compile(r"^\d{24}$")


@dataclass(frozen=True, slots=True)
class AddressCodeParts:
    """A parsed address code."""

    township: str
    element_type: ElementType
    identity: str
    check: str


ROOM_CODE_LENGTH = 35
_ROOM_CODE = re.compile(r"^\d{35}$")
_UNDERGROUND_FLOOR_BASE = 900  #: basement level L is written 900 + L (901 = B1)


@dataclass(frozen=True, slots=True)
class RoomCodeParts:
    """A parsed room code: the door plate, the building on it and the room's position in the building."""

    doorplate_code: str
    building_seq: int
    kind: RoomKind
    unit: int | None
    floor: int
    seq: int


def room_code(doorplate_code: str, building_seq: int, room: Room) -> str:
    """The standard code of a generated room (户室): the door plate's code + where the room is.

    35 digits = door plate code (24) + building seq (2) + unit (2, 00 for basements and shop fronts) + floor
    (3: the floor label, 900 + level underground, 000 for shop fronts) + sequence on the floor (3) + a Damm
    check digit.  Collision-free by construction: plate codes are unique, and within a plate the building
    seq and the position are; deterministic, so a replay yields the same codes; and readable: the code of
    3栋2单元1203室 on plate P (its 1st building) is P 01 02 012 003 c.  A room needs no stored record: its
    code and the building's description are enough (see :func:`parse_room_code`).
    """
    if not is_valid_address_code(doorplate_code):
        raise ValueError(f"门牌编码无效：{doorplate_code!r} / invalid door plate code: {doorplate_code!r}")
    if room.kind == "room":
        unit, floor = room.unit or 0, room.floor
    elif room.kind == "underground":
        unit, floor = 0, _UNDERGROUND_FLOOR_BASE - room.floor
    else:
        unit, floor = 0, 0
    body = f"{doorplate_code}{building_seq:02d}{unit:02d}{floor:03d}{room.seq:03d}"
    return body + str(damm.calc_check_digit(body))


def parse_room_code(code: str) -> RoomCodeParts:
    """Split a room code (see :func:`room_code`); ValueError (zh / en) when it is not one."""
    if not isinstance(code, str) or not _ROOM_CODE.match(code) or not damm.is_valid(code) \
            or not is_valid_address_code(code[:24]):
        raise ValueError(f"户室编码无效：{code!r} / invalid room code: {code!r}")
    building_seq, unit, floor, seq = int(code[24:26]), int(code[26:28]), int(code[28:31]), int(code[31:34])
    if unit:
        kind: RoomKind = "room"
    elif floor > _UNDERGROUND_FLOOR_BASE:
        kind, floor = "underground", _UNDERGROUND_FLOOR_BASE - floor
    elif floor == 0:
        kind, floor = "shop", 1
    else:
        raise ValueError(f"户室编码无效：{code!r} / invalid room code: {code!r}")
    return RoomCodeParts(code[:24], building_seq, kind, unit or None, floor, seq)


def is_valid_address_code(code: str) -> bool:
    """24 digits with a correct Damm check digit and a known element type."""
    if not isinstance(code, str) or not _CODE.match(code) or not damm.is_valid(code):
        return False
    try:
        parse_element_type(code[9:11])
    except ValueError:
        return False
    return True


def parse_address_code(code: str) -> AddressCodeParts:
    """Split a code into its parts; ValueError (zh / en) when it is not a valid code."""
    if not is_valid_address_code(code):
        raise ValueError(f"标准地址编码无效：{code!r} / invalid standard address code: {code!r}")
    return AddressCodeParts(code[:9], ElementType(int(code[9:11])), code[11:23], code[23])
