"""Free-text addresses: split into chunks (地址要素拆分) and match to standard addresses (地址匹配).

Why: agencies and collectors type addresses freely (蒙自市天马路十八号3幢2单元1203室); linking each one to a
standard address code is what 一标三实 rests on.  ``/parse`` exposes the BiLSTM-CRF ensemble parser (services.address.parsing)
for clients that want the chunks; ``/match`` ranks registered door plates and rooms for a text.

Matching, with every query bounded (the registry is never read whole):

1. Normalise (normalize.py: full-width → half-width, 十二栋 → 12栋, 栋/幢/座/号楼 → 栋, 户/号 → 室), strip the
   division prefix and split road, compound, door, building, unit, floor, room (matching.extract_components).
2. Scope: the request's ``division_code``, else the division the text names (retired codes resolved); a
   county covers its townships.  When a scope *taken from the text* finds no road, the search widens to all.
3. Roads and compounds (``places``, types 41–44): in a scope of at most SCOPE_SCAN places every name is
   compared (names only are fetched); otherwise the server is asked only for places whose name, alias or
   former name (更名前) equals a tail of the query name (蒙自天马路 → 天马路) or lies one edit away (a regex:
   天码路 ≈ 天马路).  Names are ranked with rapidfuzz; the best MAX_ROADS with similarity ≥ ROAD_MIN stay.
4. Door plates of those roads (index place_code): those carrying the query's number (now or formerly, or
   absorbed from a merged duplicate) and up to MAX_PLATES others for near misses.  Only plates in use and
   not rejected are candidates: a merged plate is represented by its survivor, a retired one is gone.
   Door-plate aliases (别名) are looked up by exact value inside the scope, or everywhere when no road matched.
5. Rooms (index doorplate_code) of the best MAX_ROOM_PLATES plates with generated buildings, when the text has
   building/unit/floor/room, narrowed by room number, floor or unit (at most MAX_ROOMS).
6. Scoring: matching.score_candidate, the query re-read with the candidate's division as scope (so a bare
   蒙自 is stripped).  Former names, former numbers and aliases score ×ALT_FACTOR.  A text equal to a stored
   full name (after half-width, spaces and punctuation removed) is exact: score 1.0 and ranked first.

Limits: one typo in a road name is found without a scope; more need a scope (or the text's division).
A road name more than MAX_ROADS-deep in a crowd of near-identical names may be missed.  Aliases match whole
(an alias followed by a room number is not split).  Without indexes on places.name / aliases /
former_names.name and doorplates.aliases the unscoped lookups are server-side scans (results stay bounded).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError
from rapidfuzz import fuzz

from services.address import divisions
from services.address.matching import Components, extract_components, score_candidate
from services.address.normalize import basic, clean, split_division
from services.address.numbering import DoorNumber, DoorNumberError, parse_door_number
from services.address.reads import collection
from services.kernel.auth import current_actor
from services.kernel.deps import runtime
from services.kernel.errors import DomainRuleViolation
from services.kernel.runtime import Runtime

router = APIRouter(prefix="/v1/addresses", tags=["free-text addresses 地址解析与匹配"],
                   dependencies=[Depends(current_actor)])
Rt = Annotated[Runtime, Depends(runtime)]

MAX_TEXT = 200
SCOPE_SCAN = 2000  # places fetched (names only) when a scope is small enough to compare every name
PLACE_HITS = 200  # places returned by a name-filtered lookup
MAX_ROADS = 5
MAX_EDIT_NAME = 24  # longer names get no one-edit regex (it grows with the name)
ROAD_MIN = 0.5
MAX_PLATES = 200
ALIAS_HITS = 20
MAX_ROOM_PLATES = 5
MAX_ROOMS = 200
ALT_FACTOR = 0.98
PLACE_TYPES = ["41", "42", "43", "44"]  # 街路巷, 小区, 单位院, 自然村: what door plates hang under
#: Plates that may be linked to: in use (not retired, not merged into a survivor) and not rejected (驳回).
USABLE = {"status": "in_use", "approval_state": {"$ne": "rejected"}}
PLATE_FIELDS = {key: 1 for key in ("full_name", "division_code", "place_code", "place_name", "door_number", "prefix",
                                   "number", "aliases", "former_numbers", "merged_from", "buildings",
                                   "approval_state")}


# request / response shapes ---------------------------------------------------------------------------
def _not_blank(text: str) -> str:
    if not text.strip():
        raise PydanticCustomError("text.blank", "text must not be empty or whitespace only / 地址文本不能为空")
    return text


class ParseRequest(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT, description="free-text address 地址文本",
                      examples=["云南省红河州蒙自市文澜街道天马路18号3栋2单元1203室"])
    _blank = field_validator("text")(_not_blank)


class ChunkOut(BaseModel):
    label: str = Field(examples=["road"], description="prov, city, district, town, road, roadno, poi, houseno, "
                                                       "cellno, floorno, roomno ...")
    text: str = Field(examples=["天马路"])
    start: int = Field(examples=[13], description="offset into the request text (inclusive)")
    end: int = Field(examples=[16], description="offset into the request text (exclusive)")


class ParseResponse(BaseModel):
    chunks: list[ChunkOut]


class MatchRequest(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT, description="free-text address 地址文本",
                      examples=["蒙自市天马路十八号3幢2单元1203室"])
    division_code: str | None = Field(default=None, pattern=r"^\d{2,12}$", examples=["532503001"],
                                      description="limit the search to this division 限定行政区划 (county or township)")
    limit: int = Field(default=10, ge=1, le=50, description="candidates returned")
    _blank = field_validator("text")(_not_blank)


class Candidate(BaseModel):
    code: str = Field(description="standard address code 标准地址编码")
    kind: Literal["doorplate", "room"]
    full_name: str = Field(examples=["云南省红河州蒙自市文澜街道天马路18号3栋2单元1203室"])
    score: float = Field(ge=0, le=1, examples=[1.0])
    reasons: list[str] = Field(examples=[["exact standard full name", "door: 18 = 18"]])
    doorplate_code: str = Field(description="the door plate (itself, or the room's)")
    approval_state: str | None = Field(default=None, examples=["approved"])


class MatchResponse(BaseModel):
    query: dict = Field(description="the normalised text and its components as read",
                        examples=[{"normalized": "天马路18号3栋2单元1203室", "division_code": "532503",
                                   "components": {"road": "天马路", "door": "18", "building": "3"}}])
    candidates: list[Candidate]


# pure helpers ---------------------------------------------------------------------------------------
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
    matches = [best_road_match(query_names, place) for place in places]
    matches = [match for match in matches if match.similarity >= ROAD_MIN]
    matches.sort(key=lambda m: (-m.similarity, m.via != "name", m.code))
    return matches[:MAX_ROADS]


def door_of(components: Components) -> DoorNumber | None:
    """The query's door number as a DoorNumber (None when absent or unreadable)."""
    if not components.door:
        return None
    text = components.door if components.door.endswith(("弄", "巷")) else components.door + "号"
    try:
        return parse_door_number(text)
    except DoorNumberError:
        return None


def door_key_of(door_number: str) -> str | None:
    try:
        return parse_door_number(door_number).key
    except DoorNumberError:
        return None


def plate_readings(plate: dict, road: RoadMatch | None) -> list[tuple[Components, str | None]]:
    """The plate's standard name as components (reason None) and, when the query matched the road by a
    former name or alias, the same with that name."""
    standard = extract_components(plate["full_name"])
    readings: list[tuple[Components, str | None]] = [(standard, None)]
    if road and road.via != "name":
        named = extract_components(road.matched)
        readings.append((replace(standard, road=named.road, compound=named.compound),
                         f"road: {road.via.replace('_', ' ')} {road.matched} of {road.name}"))
    return readings


def plate_variants(plate: dict, readings: list[tuple[Components, str | None]]) -> list[tuple[Components, str | None]]:
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


def score_variants(query: Components, variants: list[tuple[Components, str | None]]) -> tuple[float, list[str]]:
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


def room_filter(query: Components) -> dict | None:
    """Narrowest room filter the query allows; None when it names nothing below the door."""
    if query.room:
        return {"room_number": query.room}
    if query.floor is not None:
        return {"floor": query.floor, **({"unit": int(query.unit)} if query.unit else {})}
    if query.unit:
        return {"unit": int(query.unit)}
    return None  # a building alone is answered by its door plate


@lru_cache(maxsize=512)
def _descendants(code: str) -> tuple[str, ...]:
    codes, pending = [], [code]
    while pending:
        current = pending.pop()
        codes.append(current)
        pending.extend(child.code for child in divisions.children(current, include_retired=True))
    return tuple(codes)


def scope_codes(code: str) -> list[str]:
    """The division and every division below it (places carry a township or county code)."""
    return list(_descendants(code))


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


# scoring ----------------------------------------------------------------------------------------------
Scored = tuple[float, bool, Candidate]  # (score, exact full name, candidate)
Readings = list[tuple[Components, str | None]]


class Scorer:
    """Scores the candidates of one request; the text is re-read once per candidate division (its scope)."""

    def __init__(self, text: str, requested_scope: str | None) -> None:
        self.text = text
        self.requested = requested_scope
        self.exact_text = basic(text)  # a stored full name is already in this spelling
        self._readings: dict[str, Components] = {}

    def query(self, division_code: str) -> Components:
        if division_code not in self._readings:
            self._readings[division_code] = extract_components(self.text, self.requested or division_code)
        return self._readings[division_code]

    def plate(self, plate: dict, readings: Readings) -> Scored:
        score, reasons = score_variants(self.query(plate["division_code"]), plate_variants(plate, readings))
        return self.candidate(plate, plate["_id"], "doorplate", plate["full_name"], score, reasons)

    def room(self, plate: dict, readings: Readings, room: dict) -> Scored:
        query = self.query(plate["division_code"])
        score, reasons = score_variants(query, [(room_components(components, room, query), why)
                                                for components, why in readings])
        return self.candidate(plate, room["_id"], "room", plate["full_name"] + room["name_suffix"], score, reasons)

    def candidate(self, plate: dict, code: str, kind: str, full_name: str, score: float,
                  reasons: list[str]) -> Scored:
        exact = full_name == self.exact_text
        if exact:
            score, reasons = 1.0, ["exact standard full name", *reasons]
        return score, exact, Candidate(code=code, kind=kind, full_name=full_name, score=round(score, 4),
                                       reasons=reasons, doorplate_code=plate["_id"],
                                       approval_state=plate.get("approval_state"))


# routes -----------------------------------------------------------------------------------------------
@router.post("/parse", response_model=ParseResponse, summary="Split a free-text address into chunks 地址要素拆分",
             responses={503: {"description": "the parser model is not installed"}})
async def parse_address(request: ParseRequest) -> ParseResponse:
    from services.address.parsing import parse

    try:
        chunks = await asyncio.to_thread(parse, request.text)  # the first call loads the parser model
    except (FileNotFoundError, ImportError) as error:
        raise HTTPException(503, detail=f"address parser unavailable: {error} / 地址解析模型不可用") from None
    return ParseResponse(chunks=[ChunkOut(label=c.label, text=c.text, start=c.start, end=c.end) for c in chunks])


@router.post("/match", response_model=MatchResponse, summary="Rank standard addresses for a free text 地址匹配")
async def match_address(request: MatchRequest, rt: Rt) -> MatchResponse:
    requested = resolve_scope(request.division_code, "division_code")
    query = extract_components(request.text, requested)
    scope = requested or resolve_scope(query.division_code, None)
    names = [name for name in (query.road, query.compound) if name]
    roads = await find_roads(rt, names, scope) if names else []
    if not roads and scope and not requested:  # the text's division may be wrong: widen
        scope = None
        roads = await find_roads(rt, names, None) if names else []
    plates = await find_plates(rt, roads, door_of(query))
    if scope or not roads:
        plates.update(await find_alias_plates(rt, request.text, scope))

    scorer, by_road = Scorer(request.text, requested), {road.code: road for road in roads}
    readings = {code: plate_readings(plate, by_road.get(plate["place_code"])) for code, plate in plates.items()}
    scored = [scorer.plate(plate, readings[code]) for code, plate in plates.items()]
    narrowed = room_filter(query)
    if narrowed is not None:
        best = [plates[item[2].code] for item in sorted(scored, key=lambda item: -item[0])
                if plates[item[2].code].get("buildings")][:MAX_ROOM_PLATES]
        async for room in find_rooms(rt, [plate["_id"] for plate in best], narrowed):
            plate = plates[room["doorplate_code"]]
            scored.append(scorer.room(plate, readings[plate["_id"]], room))
    scored.sort(key=lambda item: (-item[0], not item[1], item[2].kind, item[2].code))
    return MatchResponse(
        query={"normalized": split_division(request.text, requested)[1], "division_code": scope,
               "components": {key: value for key, value in asdict(query).items() if value not in (None, "")}},
        candidates=[item[2] for item in scored[:request.limit]])


# bounded lookups --------------------------------------------------------------------------------------
async def find_roads(rt: Runtime, query_names: list[str], scope: str | None) -> list[RoadMatch]:
    places = collection(rt, "places")
    fields = {"name": 1, "aliases": 1, "former_names": 1}
    base: dict = {"element_type": {"$in": PLACE_TYPES}}
    if scope:
        base["division_code"] = {"$in": scope_codes(scope)}
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


async def find_plates(rt: Runtime, roads: list[RoadMatch], door: DoorNumber | None) -> dict[str, dict]:
    """Plates in use on the matched roads: the query's number (now, formerly, or absorbed) first."""
    if not roads:
        return {}
    plates = collection(rt, "doorplates")
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


async def find_alias_plates(rt: Runtime, text: str, scope: str | None) -> dict[str, dict]:
    """Plates whose alias (别名) is exactly the text, as typed or normalised."""
    values = sorted({text.strip(), basic(text), clean(text), split_division(text, scope)[1]})
    query: dict = {"aliases": {"$in": values}, **USABLE}
    if scope:
        query["division_code"] = {"$in": scope_codes(scope)}
    return {plate["_id"]: plate async for plate in
            collection(rt, "doorplates").find(query, PLATE_FIELDS).limit(ALIAS_HITS)}


def find_rooms(rt: Runtime, plate_codes: list[str], narrowed: dict):
    """Generated rooms (层户) of the given plates, narrowed by the query's room parts, at most MAX_ROOMS."""
    return collection(rt, "rooms").find({"doorplate_code": {"$in": plate_codes}, **narrowed},
                                        {"doorplate_code": 1, "name_suffix": 1, "floor": 1}).limit(MAX_ROOMS)
