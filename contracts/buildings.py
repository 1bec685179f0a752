"""Building structure generation (生成层户): units × floors × rooms under a door plate or building.

Why: collectors do not type 60,000 room addresses by hand; they describe the building (units, floors,
rooms per floor, basements, shop fronts) and the rooms are generated with the local room-numbering
rule.  This module only computes the plain records (fast: 60,000 rooms in a few tens of milliseconds);
turning them into address elements and events is the aggregate's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Literal, NamedTuple

RoomKind = Literal["room", "underground", "shop"]

LIMITS = {
    "units": (1, 20),
    "floors": (1, 150),
    "rooms_per_floor": (1, 999),
    "underground_floors": (0, 10),
    "underground_rooms_per_floor": (0, 999),
    "shop_fronts": (0, 999),
}
_FIELD_ZH = {
    "units": "单元数",
    "floors": "地上层数",
    "rooms_per_floor": "每层户数",
    "underground_floors": "地下层数",
    "underground_rooms_per_floor": "地下每层户数",
    "shop_fronts": "门面数",
}


class BuildingSpecError(ValueError):
    """An invalid building description: ``field`` names the input, messages are Chinese / English."""

    def __init__(self, field_name: str, message_zh: str, message_en: str):
        super().__init__(f"{message_zh} / {message_en}")
        self.field = field_name
        self.message_zh = message_zh
        self.message_en = message_en


@dataclass(frozen=True, slots=True)
class RoomNumbering:
    """The local room-numbering rule (configuration).

    Room number = floor label followed by the sequence on that floor, zero-padded to ``seq_digits``:
    2 digits gives floor × 100 + sequence (1203), 3 digits floor × 1000 + sequence (12003).  ``None``
    chooses 2, or 3 when a floor has more than 99 rooms.  ``skip_floor_numbers``: floor labels a local
    rule leaves out (4, 13, 14): the 4th storey is then labelled 5.  Underground rooms are
    ``B{level}-{seq}`` (B1-01), shop fronts ``门面{n}``.
    """

    seq_digits: int | None = None
    skip_floor_numbers: frozenset[int] = field(default_factory=frozenset)
    underground_prefix: str = "B"
    shop_label: str = "门面"


@dataclass(frozen=True, slots=True)
class BuildingSpec:
    """What a collector describes; validated on creation (ranges in :data:`LIMITS`).

    ``rooms_per_floor`` is per unit (each unit has its own 1201, 1202 …); underground rooms and shop
    fronts belong to the building as a whole.
    """

    units: int = 1
    floors: int = 1
    rooms_per_floor: int = 1
    underground_floors: int = 0
    underground_rooms_per_floor: int = 0
    shop_fronts: int = 0
    numbering: RoomNumbering = field(default_factory=RoomNumbering)

    def __post_init__(self) -> None:
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise BuildingSpecError(name, f"{_FIELD_ZH[name]}必须为整数", f"{name} must be an integer")
            if not low <= value <= high:
                raise BuildingSpecError(
                    name,
                    f"{_FIELD_ZH[name]}须在 {low}–{high} 之间，实为 {value}",
                    f"{name} must be between {low} and {high}, got {value}",
                )
        if self.underground_floors and not self.underground_rooms_per_floor:
            raise BuildingSpecError(
                "underground_rooms_per_floor",
                "有地下层时地下每层户数须≥1",
                "underground_rooms_per_floor must be at least 1 when there are underground floors",
            )
        digits = self.numbering.seq_digits
        if digits is not None and (digits not in (2, 3) or self.rooms_per_floor >= 10**digits):
            raise BuildingSpecError(
                "numbering.seq_digits",
                f"房号序号位数 {digits} 不足以编 {self.rooms_per_floor} 户（可选 2 或 3）",
                f"seq_digits {digits} cannot number {self.rooms_per_floor} rooms per floor (use 2 or 3)",
            )

    @property
    def seq_digits(self) -> int:
        """Digits of the per-floor sequence actually used."""
        return self.numbering.seq_digits or (2 if self.rooms_per_floor <= 99 else 3)

    @property
    def room_count(self) -> int:
        """Number of records :func:`generate_rooms` returns."""
        return (
            self.units * self.floors * self.rooms_per_floor
            + self.underground_floors * self.underground_rooms_per_floor
            + self.shop_fronts
        )


#: Fields a building summary on a door plate keeps: the BuildingStructureGenerated payload
#: minus the plate code, enough to list and look up every room.
SUMMARY_FIELDS = ("building", "building_seq", "units", "floors", "rooms_per_floor", "underground_floors",
                  "underground_rooms_per_floor", "shopfronts", "seq_digits", "skip_floor_numbers", "room_count")


def building_spec(summary: dict) -> BuildingSpec:
    """The description of a building, from its summary on the door plate (or the event's payload)."""
    return BuildingSpec(
        units=summary["units"], floors=summary["floors"], rooms_per_floor=summary["rooms_per_floor"],
        underground_floors=summary["underground_floors"],
        underground_rooms_per_floor=summary["underground_rooms_per_floor"], shop_fronts=summary["shopfronts"],
        numbering=RoomNumbering(seq_digits=summary["seq_digits"],
                                skip_floor_numbers=frozenset(summary["skip_floor_numbers"])),
    )


class Room(NamedTuple):
    """One generated room: ``label`` is the name part below the building (2单元1203室, B1-01室, 门面3).

    ``floor`` is the floor label (negative underground, 1 for shop fronts); ``unit`` is None for
    underground rooms and shop fronts; ``seq`` is the room's sequence on its floor (or the shop front's
    number), which with kind, unit and floor places it uniquely in the building (see codes.room_code).
    """

    kind: RoomKind
    unit: int | None
    floor: int
    room_number: str
    label: str
    seq: int


def floor_labels(floors: int, skip: frozenset[int] = frozenset()) -> list[int]:
    """Labels of storeys 1..floors, leaving out the skipped numbers (skip {4}: 1, 2, 3, 5, …)."""
    labels: list[int] = []
    n = 0
    while len(labels) < floors:
        n += 1
        if n not in skip:
            labels.append(n)
    return labels


@dataclass(frozen=True, slots=True)
class Block:
    """The rooms of one floor of one unit (or one basement level, or the shop fronts): ``count`` rooms
    numbered ``seq`` 1..count.  A building is at most 20 × 200 + 11 blocks, so paging, counting and
    looking up rooms never has to enumerate millions of rooms."""

    kind: RoomKind
    unit: int | None
    floor: int
    count: int
    width: int

    def number(self, seq: int) -> str:
        if self.kind == "room":
            return f"{self.floor}{seq:0{self.width}d}"
        if self.kind == "underground":
            return f"B{-self.floor}-{seq:0{self.width}d}"
        return f"门面{seq}"

    def room(self, seq: int) -> Room:
        number = self.number(seq)
        if self.kind == "room":
            return Room("room", self.unit, self.floor, number, f"{self.unit}单元{number}室", seq)
        if self.kind == "underground":
            return Room("underground", None, self.floor, number, f"{number}室", seq)
        return Room("shop", None, 1, number, number, seq)

    def seq_of(self, number: str) -> int | None:
        """The sequence of the room numbered ``number`` in this block, if there is one."""
        if self.kind == "room":
            head, tail = str(self.floor), number[len(str(self.floor)):]
            ok = number.startswith(head) and len(tail) == self.width and tail.isdigit()
        elif self.kind == "underground":
            head = f"B{-self.floor}-"
            tail = number[len(head):]
            ok = number.startswith(head) and len(tail) == self.width and tail.isdigit()
        else:
            tail = number[2:]
            ok = number.startswith("门面") and tail.isdigit() and not tail.startswith("0")
        seq = int(tail) if ok else 0
        return seq if 1 <= seq <= self.count else None


def blocks(spec: BuildingSpec) -> list[Block]:
    """The building's blocks in room order: per unit floor by floor, then basements, then shop fronts."""
    labels = floor_labels(spec.floors, spec.numbering.skip_floor_numbers)
    result = [Block("room", unit, floor, spec.rooms_per_floor, spec.seq_digits)
              for unit in range(1, spec.units + 1) for floor in labels]
    width = 2 if spec.underground_rooms_per_floor <= 99 else 3
    result += [Block("underground", None, -level, spec.underground_rooms_per_floor, width)
               for level in range(1, spec.underground_floors + 1)]
    if spec.shop_fronts:
        result.append(Block("shop", None, 1, spec.shop_fronts, 0))
    return result


def _selected(spec: BuildingSpec, unit: int | None, floor: int | None) -> list[Block]:
    return [block for block in blocks(spec)
            if (unit is None or block.unit == unit) and (floor is None or (block.floor == floor and block.kind != "shop"))]


def count_rooms(spec: BuildingSpec, unit: int | None = None, floor: int | None = None,
                room_number: str | None = None) -> int:
    """How many rooms :func:`iter_rooms` yields for the same filters, without generating them."""
    chosen = _selected(spec, unit, floor)
    if room_number is None:
        return sum(block.count for block in chosen)
    return sum(1 for block in chosen if block.seq_of(room_number) is not None)


def iter_rooms(spec: BuildingSpec, unit: int | None = None, floor: int | None = None,
               room_number: str | None = None, offset: int = 0) -> Iterator[Room]:
    """Rooms in order, filtered by unit, floor label (negative underground) or room number, from ``offset``:
    whole blocks before the offset are skipped arithmetically, so page 1,000 costs what page 1 does."""
    for block in _selected(spec, unit, floor):
        if room_number is not None:
            seq = block.seq_of(room_number)
            if seq is not None:
                if offset:
                    offset -= 1
                else:
                    yield block.room(seq)
            continue
        if offset >= block.count:
            offset -= block.count
            continue
        for seq in range(offset + 1, block.count + 1):
            yield block.room(seq)
        offset = 0


def room_at(spec: BuildingSpec, kind: RoomKind, unit: int | None, floor: int, seq: int) -> Room | None:
    """The room at this position, or None when the building has no such room."""
    for block in blocks(spec):
        if block.kind == kind and block.unit == unit and block.floor == floor:
            return block.room(seq) if 1 <= seq <= block.count else None
    return None


def generate_rooms(spec: BuildingSpec) -> list[Room]:
    """All rooms of a building: per unit, floor by floor, then underground rooms, then shop fronts."""
    return list(iter_rooms(spec))
