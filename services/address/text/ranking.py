"""Ranking for free-text address matching (地址匹配): road names, then plates and rooms.  Pure: no I/O.

Why apart from the lookups (match_candidates.py): the scores decide which standard address a text is linked to,
so they are read and tested without a database.  Names are compared with rapidfuzz; plates and rooms with
matching.score_candidate: the query as the parser reads it (reading.py), its divisions looked up with the candidate's
division as scope; stored names (standard full names, aliases) are read by components.extract_components.
Former names, former numbers and aliases score ×ALT_FACTOR.  A text equal to a stored full name (after
half-width, spaces and punctuation removed) is exact: score 1.0 and ranked first.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from rapidfuzz import fuzz

from services.address.text.components import Components, extract_components, score_candidate
from services.address.text.reading import read_address
from services.address.domain.normalize import basic, clean
from services.address.domain.numbering import DoorNumberError, parse_door_number

MAX_ROADS = 5
ROAD_MIN = 0.5
ALT_FACTOR = 0.98

Readings = list[tuple[Components, str | None]]  # ways to write a plate, each with the reason (None: standard)


# roads ------------------------------------------------------------------------------------------------
def name_similarity(query: str, name: str) -> float:
    """0..1: rapidfuzz ratio, at least 0.9 when the query ends with the whole name (蒙自天马路 ⊃ 天马路)."""
    if query == name:
        return 1.0
    similarity = fuzz.ratio(query, name) / 100.0
    if len(name) >= 3 and query.endswith(name):
        similarity = max(similarity, 0.9)
    return similarity


@dataclass(frozen=True, slots=True)
class RoadMatch:
    """A road or compound close to the query: which of its names matched, and how."""

    code: str
    name: str  # the current name
    matched: str  # the name that matched (current, alias or former)
    via: Literal["name", "alias", "former_name"]
    similarity: float


def best_road_match(query_names: list[str], place: dict) -> RoadMatch:
    """The place's best name for any of the query names (current name preferred on ties)."""
    names = [(place["name"], "name")] + [(alias, "alias") for alias in place.get("aliases") or []]
    names += [(former["name"], "former_name") for former in place.get("former_names") or []]
    best = RoadMatch(place["_id"], place["name"], place["name"], "name", 0.0)
    for name, via in names:
        for query in query_names:
            similarity = name_similarity(query, clean(name))
            if similarity > best.similarity:
                best = RoadMatch(place["_id"], place["name"], name, via, similarity)  # type: ignore[arg-type]
    return best


def rank_roads(query_names: list[str], places: list[dict]) -> list[RoadMatch]:
    """The MAX_ROADS best places with similarity ≥ ROAD_MIN: only their plates are read."""
    matches = [best_road_match(query_names, place) for place in places]
    matches = [match for match in matches if match.similarity >= ROAD_MIN]
    matches.sort(key=lambda m: (-m.similarity, m.via != "name", m.code))
    return matches[:MAX_ROADS]


# plates and rooms -------------------------------------------------------------------------------------
def door_key_of(door_number: str) -> str | None:
    """Canonical key of a stored door number (None when unreadable, so one bad record costs one variant)."""
    try:
        return parse_door_number(door_number).key
    except DoorNumberError:
        return None


def plate_readings(plate: dict, road: RoadMatch | None) -> Readings:
    """The plate's standard name as components (reason None) and, when the query matched the road by a
    former name or alias, the same with that name."""
    standard = extract_components(plate["full_name"])
    readings: Readings = [(standard, None)]
    if road and road.via != "name":
        named = extract_components(road.matched)
        readings.append((replace(standard, road=named.road, compound=named.compound),
                         f"road: {road.via.replace('_', ' ')} {road.matched} of {road.name}"))
    return readings


def plate_variants(plate: dict, readings: Readings) -> Readings:
    """Every way the plate may be written: its readings, former numbers (改号), numbers of merged duplicates
    (重复门牌合并) and aliases (别名), each with the reason it applies."""
    standard = readings[0][0]
    variants = list(readings)
    for former in plate.get("former_numbers") or []:
        if key := door_key_of(former["door_number"]):
            variants.append((replace(standard, door=key), f"door: former number {former['door_number']}"))
    for merged in plate.get("merged_from") or []:
        if key := door_key_of(merged["door_number"]):
            variants.append((replace(standard, door=key), f"door: absorbed duplicate {merged['code']}"))
    for alias in plate.get("aliases") or []:
        named = replace(extract_components(alias), division_code=plate["division_code"])
        variants.append((named, f"alias: {alias}"))
    return variants


def score_variants(query: Components, variants: Readings) -> tuple[float, list[str]]:
    """Best score over the variants; any but the standard name (reason None) counts ×ALT_FACTOR."""
    best: tuple[float, list[str]] = (-1.0, [])
    for components, why in variants:
        score, reasons = score_candidate(query, components)
        if why is not None:
            score, reasons = score * ALT_FACTOR, [why, *reasons]
        if score > best[0]:
            best = (score, reasons)
    return best


def room_components(plate_components: Components, room: dict, query: Components) -> Components:
    """A room as components: the plate's plus building, unit, room (floor only when the query gives one)."""
    below = extract_components(room["name_suffix"])
    return replace(plate_components, building=below.building, unit=below.unit, room=below.room,
                   floor=room["floor"] if query.floor is not None else below.floor)


@dataclass(frozen=True, slots=True)
class Ranked:
    """A scored door plate or room; ``score`` is unrounded so ties are broken as scored."""

    code: str
    kind: Literal["doorplate", "room"]
    full_name: str
    score: float
    exact: bool  # the text is this stored full name
    reasons: list[str]
    doorplate_code: str  # the plate itself, or the room's
    approval_state: str | None

    def order(self) -> tuple:
        """Best first: score, then exact names, plates before rooms, then code (a stable answer)."""
        return -self.score, not self.exact, self.kind, self.code


class Scorer:
    """Scores the candidates of one request; the text is re-read once per candidate division (its scope)."""

    def __init__(self, text: str, requested_scope: str | None) -> None:
        self.text = text
        self.requested = requested_scope
        self.exact_text = basic(text)  # a stored full name is already in this spelling
        self._readings: dict[str, Components] = {}

    def query(self, division_code: str) -> Components:
        if division_code not in self._readings:
            self._readings[division_code] = read_address(self.text, self.requested or division_code)
        return self._readings[division_code]

    def plate(self, plate: dict, readings: Readings) -> Ranked:
        score, reasons = score_variants(self.query(plate["division_code"]), plate_variants(plate, readings))
        return self.candidate(plate, plate["_id"], "doorplate", plate["full_name"], score, reasons)

    def room(self, plate: dict, readings: Readings, room: dict) -> Ranked:
        query = self.query(plate["division_code"])
        score, reasons = score_variants(query, [(room_components(components, room, query), why)
                                                for components, why in readings])
        return self.candidate(plate, room["_id"], "room", plate["full_name"] + room["name_suffix"], score, reasons)

    def candidate(self, plate: dict, code: str, kind: Literal["doorplate", "room"], full_name: str, score: float,
                  reasons: list[str]) -> Ranked:
        exact = full_name == self.exact_text
        if exact:
            score, reasons = 1.0, ["exact standard full name", *reasons]
        return Ranked(code, kind, full_name, score, exact, reasons, plate["_id"], plate.get("approval_state"))
