"""Standard address code (标准地址编码) and standard full name (标准地址全称).

Code scheme (24 digits)::

    532503001  41  384019265537  7
    township   type  identity     check

- **township** (9 digits): the 乡镇街道 the address lies in (a county-level code + ``000`` where an
  address hangs directly under a county).  Readable: the first digits say where it is.
- **type** (2 digits): the GA/T 2000.32 element type (41 road, 50 building/door plate, 62 room …).
- **identity** (12 digits): BLAKE2b of the parent's address code (or the township for a top element),
  the type and the element's own normalised local name at creation (天马路, 18号, 3栋, 1203室),
  taken modulo 10¹².
- **check** (1 digit): Damm check digit over the 23 digits before it, catching every single-digit
  error and every adjacent transposition when a code is typed or read out.

Why this shape:
- *Stable across renames*: the code is computed once, when the element is created, and stored in the
  creation event; renaming a road or renumbering a door later never recomputes it.  Because a child's
  identity hashes its parent's *code* (not the parent's name), renaming a road does not disturb the
  codes beneath it either.
- *Deterministic*: registering the same element under the same parent twice (a retried command, an
  agency re-sending a file) yields the same code, so the duplicate is caught by the code itself and
  no counter stream has to be coordinated between writers.
- *Unique*: the township and type partition the space; within one township and type a collision
  needs two elements among 10¹² values (probability about 0.5 % for 100,000 rooms in one township,
  40 % for a million).  The aggregate still keeps a unique index; on a clash between *different* elements it calls
  :func:`address_code` again with ``salt=1, 2, …`` and stores the result.
- *Digits only*: easy on phones, door-plate QR codes and older systems.

Generated rooms (户室) are the exception: their code is the door plate's code followed by the room's
position (:func:`room_code`, 35 digits), so millions of rooms need no hash, no clash handling and no
stored record.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from stdnum import damm

from contracts import divisions
from contracts.elements import ElementType, parse_element_type
from services.address.domain.buildings import Room, RoomKind
from services.address.domain.normalize import clean
from services.address.domain.numbering import DoorNumber, parse_door_number

CODE_LENGTH = 24
_CODE = re.compile(r"^\d{24}$")


@dataclass(frozen=True, slots=True)
class AddressCodeParts:
    """A parsed address code."""

    township: str
    element_type: ElementType
    identity: str
    check: str


def _township_part(division_code: str) -> str:
    code = divisions.normalize_code(division_code)
    if len(code) == 9:
        return code
    if len(code) == 6:
        return code + "000"
    raise ValueError(
        f"地址编码需要县级或乡级区划代码：{division_code!r} / an address code needs a county or township code: {division_code!r}"
    )


def address_code(
    division_code: str,
    element_type: ElementType | int,
    local_name: str,
    parent_code: str | None = None,
    salt: int = 0,
) -> str:
    """The code of a new address element (see the module docstring for the scheme).

    ``local_name`` is the element's own name or number (天马路, 18号, 3栋, 1203室); it is normalised
    (full-width, numerals, synonyms) first, so 十八号 and 18号 under one parent give one code.
    """
    township = _township_part(division_code)
    etype = parse_element_type(element_type)
    name = clean(local_name)
    if not name:
        raise ValueError("地址要素名称不能为空 / the element's name must not be empty")
    if parent_code is not None and not is_valid_address_code(parent_code):
        raise ValueError(f"上级地址编码无效：{parent_code!r} / invalid parent address code: {parent_code!r}")
    material = f"{parent_code or township}|{int(etype)}|{name}|{salt}".encode()
    identity = int.from_bytes(hashlib.blake2b(material, digest_size=8).digest(), "big") % 10**12
    body = f"{township}{int(etype):02d}{identity:012d}"
    return body + str(damm.calc_check_digit(body))


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


def _with_marker(value: str | int | None, markers: tuple[str, ...], default: str) -> str:
    if value is None or value == "":
        return ""
    text = clean(str(value))
    return text if text.endswith(markers) else f"{text}{default}"


def standard_name(
    division_code: str,
    road: str | None = None,
    door: str | int | DoorNumber | None = None,
    building: str | int | None = None,
    unit: str | int | None = None,
    floor: int | None = None,
    room: str | int | None = None,
    compound: str | None = None,
    short_divisions: bool = True,
) -> str:
    """Standard full name: division + road + door number + compound + building + unit + floor + room.

    ``standard_name("532503001", "天马路", 18, 3, 2, room=1203)`` →
    云南省红河州蒙自市文澜街道天马路18号3栋2单元1203室.  Bare numbers get their marker (号, 栋, 单元,
    层, 室); the floor is written only when no room is given (the room number already carries it);
    underground floors read 地下1层.  ``short_divisions`` uses 红河州 instead of 红河哈尼族彝族自治州.
    """
    parts = [divisions.full_name(division_code, short=short_divisions)]
    if road:
        parts.append(clean(road))
    if door is not None and door != "":
        parts.append((door if isinstance(door, DoorNumber) else parse_door_number(door)).format())
    if compound:
        parts.append(clean(compound))
    parts.append(_with_marker(building, ("栋",), "栋"))
    parts.append(_with_marker(unit, ("单元",), "单元"))
    if floor is not None and (room is None or room == ""):
        parts.append(f"地下{-floor}层" if floor < 0 else f"{floor}层")
    if room is not None and str(room).startswith("门面"):
        parts.append(clean(str(room)))  # shop fronts are named, not numbered rooms: 门面3
    else:
        parts.append(_with_marker(room, ("室",), "室"))
    return "".join(parts)
