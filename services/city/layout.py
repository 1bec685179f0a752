"""Where the city's records stand: 蒙自市's real townships (from the shipped division table), their communities
and villages, roads, door plates and residential buildings.

Township weights follow the rough sizes of 蒙自's towns (the urban 街道 hold most people); communities, roads and
plates are made up, with names built from syllables so each is unique under its parent.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from contracts import divisions

COUNTY = "532503"
#: Rough share of the city's people per township (文澜 the old town, 雨过铺 the new city, ...).
WEIGHTS = {"532503001": 120, "532503002": 70, "532503003": 45, "532503004": 40, "532503005": 30, "532503102": 45,
           "532503105": 25, "532503106": 20, "532503107": 20, "532503201": 15, "532503202": 15, "532503203": 15,
           "532503204": 10}
SYLLABLES = "天马红竹园凤凰新安北南东西金龙银河青松柏林花山水田碧湖星光明月云岭石榴春晖泉湾兴隆和平文化锦绣"
#: (units, floors above ground, rooms per floor per unit): the blocks of flats the urban plates carry.
BUILDINGS = ((2, 6, 2), (2, 11, 2), (1, 6, 2), (3, 7, 2))
HOUSES_PER_COMMUNITY = 600
HOUSES_PER_ROAD = 150


@dataclass(frozen=True)
class Township:
    code: str
    name: str
    weight: int

    @property
    def urban(self) -> bool:
        return self.name.endswith("街道")


@dataclass
class Plate:
    """A door plate (门牌) to register; ``building`` is (units, floors, rooms) when a block of flats stands on it."""

    record_id: str
    township: Township
    road_id: str
    number: int
    building: tuple[int, int, int] | None = None
    retired: bool = False
    houses: list[tuple[int, int, int] | None] = field(default_factory=list)  # room positions, or None = the plate


def townships() -> list[Township]:
    """The current townships of 蒙自市 in the shipped table (a township missing from WEIGHTS gets weight 10)."""
    found = [t for t in divisions.registry().children(COUNTY) if t.level == "township" and t.valid_to is None]
    return [Township(t.code, t.name, WEIGHTS.get(t.code, 10)) for t in sorted(found, key=lambda t: t.code)]


def place_name(index: int, suffix: str) -> str:
    """The ``index``-th name of two or three syllables: unique for every index below len(SYLLABLES)**3."""
    n = len(SYLLABLES)
    first, second, third = index % n, (index // n) % n, index // (n * n)
    stem = SYLLABLES[first] + SYLLABLES[(second + first + 1) % n]
    return (stem + SYLLABLES[third % n] if third else stem) + suffix


def rooms_of(building: tuple[int, int, int]) -> list[tuple[int, int, int]]:
    """Every room position (unit, floor, seq) of a block, unit by unit, floor by floor."""
    units, floors, per_floor = building
    return [(u, f, s) for u in range(1, units + 1) for f in range(1, floors + 1) for s in range(1, per_floor + 1)]


def plates_for(township: Township, houses: int, rng: random.Random, next_id) -> tuple[list[Plate], int]:
    """Plates enough for ``houses`` houses: urban townships put three in four houses in blocks of flats."""
    share_in_blocks = 0.75 if township.urban else 0.1
    plates: list[Plate] = []
    placed = 0
    while placed < houses:
        if rng.random() < share_in_blocks:
            building = rng.choice(BUILDINGS)
            rooms = rooms_of(building)[: houses - placed]
            plate = Plate(next_id("d"), township, "", 0, building, houses=list(rooms))
        else:
            plate = Plate(next_id("d"), township, "", 0, houses=[None])
        placed += len(plate.houses)
        plates.append(plate)
    return plates, placed
