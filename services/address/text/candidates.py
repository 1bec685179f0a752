"""Candidates for a free-text address (地址匹配): bounded read-model lookups of roads, door plates and rooms.

Why: a text is matched without ever reading the registry whole.  Scoring lives in match_ranking.py (pure);
this module decides what to fetch:

1. Read the text with the shipped parser (reading.py): its division, town, road, number and room chunks, the
   divisions looked up in the division table (草坝 → 草坝镇, inside the county named before it), each number
   normalised as stored (十八号 → 18, 三座 → 3栋).
2. Scope: the request's ``division_code``, else the most specific division the text names (retired codes
   resolved); a county covers its townships. A named division rules out every road and plate outside it.
3. Roads and compounds (``places``, types 41–44): in a scope of at most SCOPE_SCAN places every name is
   compared (names only are fetched); otherwise the server is asked only for places whose name, alias or
   former name (更名前) equals a tail of the query name (蒙自天马路 → 天马路) or lies one edit away (a regex:
   天码路 ≈ 天马路).  Names are ranked with rapidfuzz; the best MAX_ROADS with similarity ≥ ROAD_MIN stay.
4. Door plates of those roads (index place_code): those carrying the query's number (now or formerly, or
   absorbed from a merged duplicate) and up to MAX_PLATES others for near misses.  Only plates in use and
   not rejected are candidates: a merged plate is represented by its survivor, a retired one is gone.
   Door-plate aliases (别名) are looked up by exact value inside the scope, or everywhere when no road matched.
5. Rooms (computed from the building descriptions) of the best MAX_ROOM_PLATES plates with generated buildings, when the text has
   building/unit/floor/room, narrowed by room number, floor or unit (at most MAX_ROOMS).

Limits: one typo in a road name is found without a scope; more need a scope (or the text's division).
A road name more than MAX_ROADS-deep in a crowd of near-identical names may be missed.  Aliases match whole
(an alias followed by a room number is not split).  Without indexes on places.name / aliases /
former_names.name and doorplates.aliases the unscoped lookups are server-side scans (results stay bounded).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice

from contracts import divisions
from services.address.text.ranking import Ranked, RoadMatch, Scorer, plate_readings, rank_roads
from services.address.text.components import Components
from services.address.text.reading import named_divisions, parse_chunks, read_address
from services.address.domain.normalize import basic, clean, split_division
from services.address.domain.numbering import DoorNumber, DoorNumberError, parse_door_number
from services.address.views.reads import collection
from contracts.rooms import plate_rooms
from services.kernel.base.errors import DomainRuleViolation
from services.kernel.messaging.read_models import ReadModels

SCOPE_SCAN = 2000  # places fetched (names only) when a scope is small enough to compare every name
PLACE_HITS = 200  # places returned by a name-filtered lookup
MAX_EDIT_NAME = 24  # longer names get no one-edit regex (it grows with the name)
MAX_PLATES = 200
ALIAS_HITS = 20
MAX_ROOM_PLATES = 5
MAX_ROOMS = 200
MAX_NAMED_DIVISIONS = 20  # a bare name found in more divisions than this (城关) narrows nothing
PLACE_TYPES = ["41", "42", "43", "44"]  # 街路巷, 小区, 单位院, 自然村: what door plates hang under
#: Plates that may be linked to: in use (not retired, not merged into a survivor) and not rejected (驳回).
USABLE = {"status": "in_use", "approval_state": {"$ne": "rejected"}}
PLATE_FIELDS = {key: 1 for key in ("full_name", "division_code", "place_code", "place_name", "door_number", "prefix",
                                   "number", "aliases", "former_numbers", "merged_from", "buildings",
                                   "approval_state")}


# scope ------------------------------------------------------------------------------------------------
@lru_cache(maxsize=512)
def _descendants(code: str) -> tuple[str, ...]:
    codes, pending = [], [code]
    while pending:
        current = pending.pop()
        codes.append(current)
        pending.extend(child.code for child in divisions.children(current, include_retired=True))
    return tuple(codes)


def scope_codes(*codes: str) -> list[str]:
    """The divisions and every division below them (places carry a township or county code)."""
    return sorted({descendant for code in codes for descendant in _descendants(code)})


def searched_divisions(requested: str | None, scope: str | None, named: tuple[str, ...]) -> tuple[str, ...]:
    """Where to look: the request's division, else the one the text names, else every division a bare name in
    the text may be (草坝: three 草坝镇 in two provinces), when there are few. A division the text names rules
    out everything outside it: 草坝天马路 is never 文澜街道's 天马路."""
    if scope or requested:
        return (scope or requested,)  # type: ignore[return-value]
    return named if len(named) <= MAX_NAMED_DIVISIONS else ()


def resolve_scope(code: str | None, field: str | None) -> str | None:
    """Current code of a division; an unknown one is a 422 when the caller gave it (``field``)."""
    if not code:
        return None
    division = divisions.resolve(code) or divisions.get(code)
    if division is None:
        if field:
            raise DomainRuleViolation(field, "division.unknown", f"division code {code!r} is not a known division",
                                      f"行政区划代码 {code} 不存在")
        return None
    return division.code


# what to ask for --------------------------------------------------------------------------------------
def name_variants(name: str) -> list[str]:
    """The name and its tails of two characters or more: 蒙自天马路 → 蒙自天马路, 自天马路, 天马路, 马路.

    A tail catches a road behind a division name the prefix stripper would not take without a scope."""
    return [name[i:] for i in range(len(name) - 1)] if len(name) >= 2 else [name]


def one_edit_pattern(name: str) -> str:
    """Anchored regex of the strings one substitution, insertion or deletion away from ``name``."""
    chars = [re.escape(ch) for ch in name]
    alternatives = {"".join(chars[:i] + ["."] + chars[i + 1:]) for i in range(len(chars))}
    alternatives |= {"".join(chars[:i] + ["."] + chars[i:]) for i in range(len(chars) + 1)}
    alternatives |= {"".join(chars[:i] + chars[i + 1:]) for i in range(len(chars))}
    return "^(?:" + "|".join(sorted(alternatives)) + ")$"


def door_of(components: Components) -> DoorNumber | None:
    """The query's door number as a DoorNumber (None when absent or unreadable)."""
    if not components.door:
        return None
    text = components.door if components.door.endswith(("弄", "巷")) else components.door + "号"
    try:
        return parse_door_number(text)
    except DoorNumberError:
        return None


def room_filter(query: Components) -> dict | None:
    """Narrowest room filter the query allows; None when it names nothing below the door."""
    if query.room:
        return {"room_number": query.room}
    if query.floor is not None:
        return {"floor": query.floor, **({"unit": int(query.unit)} if query.unit else {})}
    if query.unit:
        return {"unit": int(query.unit)}
    return None  # a building alone is answered by its door plate


# the match --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Matches:
    """What a text matched: its components as read, the scope searched, every candidate best first."""

    query: Components
    scope: str | None
    ranked: list[Ranked]


async def match_text(reads: ReadModels, text: str, requested: str | None) -> Matches:
    """Gather the roads, plates and rooms a text may name and rank them (``requested``: a resolved scope)."""
    await asyncio.to_thread(parse_chunks, text)  # the parser is CPU-bound: off the event loop (then cached)
    query = read_address(text, requested)
    named = resolve_scope(query.division_code, None)
    # the text may narrow the request's division (division_code 蒙自市, text 草坝…: 草坝镇), never widen it
    scope = named if named and (not requested or named.startswith(requested)) else requested
    within = searched_divisions(requested, scope, named_divisions(text, requested))
    names = [name for name in (query.road, query.compound) if name]
    roads = await find_roads(reads, names, within) if names else []
    plates = await find_plates(reads, roads, door_of(query))
    if within or not roads:
        plates.update(await find_alias_plates(reads, text, scope, within))

    scorer, by_road = Scorer(text, requested), {road.code: road for road in roads}
    readings = {code: plate_readings(plate, by_road.get(plate["place_code"])) for code, plate in plates.items()}
    ranked = [scorer.plate(plate, readings[code]) for code, plate in plates.items()]
    narrowed = room_filter(query)
    if narrowed is not None:
        best = [plates[item.code] for item in sorted(ranked, key=lambda item: -item.score)
                if plates[item.code].get("buildings")][:MAX_ROOM_PLATES]
        for room in find_rooms(best, narrowed):
            plate = plates[room["doorplate_code"]]
            ranked.append(scorer.room(plate, readings[plate["_id"]], room))
    ranked.sort(key=Ranked.order)
    return Matches(query, scope, ranked)


# bounded lookups --------------------------------------------------------------------------------------
async def find_roads(reads: ReadModels, query_names: list[str], within: tuple[str, ...] = ()) -> list[RoadMatch]:
    """Roads and compounds near the query names: every name in a small scope, else a name-filtered lookup."""
    places = collection(reads, "places")
    fields = {"name": 1, "aliases": 1, "former_names": 1}
    base: dict = {"element_type": {"$in": PLACE_TYPES}}
    if within:
        base["division_code"] = {"$in": scope_codes(*within)}
        found = [doc async for doc in places.find(base, fields).limit(SCOPE_SCAN + 1)]
        if len(found) <= SCOPE_SCAN:
            return rank_roads(query_names, found)
    variants = sorted({variant for name in query_names for variant in name_variants(name[-MAX_EDIT_NAME:])})
    wanted: list[dict] = [{"name": {"$in": variants}}, {"aliases": {"$in": variants}},
                          {"former_names.name": {"$in": variants}}]
    for name in query_names:
        if 3 <= len(name) <= MAX_EDIT_NAME:
            pattern = one_edit_pattern(name)
            wanted += [{"name": {"$regex": pattern}}, {"former_names.name": {"$regex": pattern}}]
    found = [doc async for doc in places.find({**base, "$or": wanted}, fields).limit(PLACE_HITS)]
    return rank_roads(query_names, found)


async def find_plates(reads: ReadModels, roads: list[RoadMatch], door: DoorNumber | None) -> dict[str, dict]:
    """Plates in use on the matched roads: the query's number (now, formerly, or absorbed) first."""
    if not roads:
        return {}
    plates = collection(reads, "doorplates")
    on_roads = {"place_code": {"$in": [road.code for road in roads]}, **USABLE}
    found: dict[str, dict] = {}
    if door is not None:
        number = str(door.number) if door.sub is None else f"{door.number}-{door.sub}"
        same = {"$or": [{"number": number, "prefix": door.prefix}, {"former_numbers.door_number": door.format()},
                        {"merged_from.door_number": door.format()}]}
        async for plate in plates.find({**on_roads, **same}, PLATE_FIELDS).limit(MAX_PLATES):
            found[plate["_id"]] = plate
    if len(found) < MAX_PLATES:  # near misses (limit(0) would mean "no limit")
        async for plate in plates.find(on_roads, PLATE_FIELDS).limit(MAX_PLATES - len(found)):
            found.setdefault(plate["_id"], plate)
    return found


async def find_alias_plates(reads: ReadModels, text: str, scope: str | None, within: tuple[str, ...] = ()) -> dict[str, dict]:
    """Plates whose alias (别名) is exactly the text, as typed or normalised."""
    values = sorted({text.strip(), basic(text), clean(text), split_division(text, scope)[1]})
    query: dict = {"aliases": {"$in": values}, **USABLE}
    if within:
        query["division_code"] = {"$in": scope_codes(*within)}
    return {plate["_id"]: plate async for plate in
            collection(reads, "doorplates").find(query, PLATE_FIELDS).limit(ALIAS_HITS)}


def find_rooms(plates: list[dict], narrowed: dict) -> list[dict]:
    """Generated rooms (层户) of the given plates, narrowed by the query's room parts, at most MAX_ROOMS
    (read from the plates' building descriptions: nothing is fetched)."""
    rooms = (room for plate in plates for room in plate_rooms(plate, **narrowed))
    return [{**room, "_id": room["code"]} for room in islice(rooms, MAX_ROOMS)]
