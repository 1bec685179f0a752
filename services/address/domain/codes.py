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

from stdnum import damm

from contracts import divisions
from contracts.address_codes import is_valid_address_code
from contracts.elements import ElementType, parse_element_type
from services.address.domain.normalize import clean
from services.address.domain.numbering import DoorNumber, parse_door_number


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
