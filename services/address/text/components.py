"""Address components (地址要素拆分) and candidate scoring for fuzzy matching within a road.

Why: an agency's free-text address must be linked to a standard address.  After normalisation the
text is split into road, door number, building, unit, floor and room; names are compared fuzzily
(rapidfuzz: 天马路 ≈ 天马大道, typos) and numbers exactly (18号 is never "almost" 19号).  The score
ranks candidates already narrowed to the same road or township; an identical address scores 1.0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from services.address.domain.normalize import split_division

_ROAD_SUFFIX = tuple("大道 大街 胡同 街 路 巷 弄 道 村 组 里".split())
_COMPOUND_SUFFIX = tuple("小区 花园 公寓 大厦 广场 新村 家园 苑 园 城 府 庭 院 湾 居".split())
_TOKEN = re.compile(
    r"(?P<door>[A-Z]?\d+(?:-\d+)?)(?P<door_suffix>号院|号|弄)"
    r"|(?P<building>[0-9A-Z]+(?:-\d+)?)栋"
    r"|(?P<unit>\d+)单元"
    r"|(?P<underground>地下)?(?P<floor>\d+)层"
    r"|(?P<room>[A-Z]?\d+(?:-\d+)*)室"
)
_ROAD_THEN_COMPOUND = re.compile(rf"^(.+?(?:{'|'.join(_ROAD_SUFFIX)}))(.+(?:{'|'.join(_COMPOUND_SUFFIX)}))$")

#: Weight of each component in the score; only components present on either side count.
WEIGHTS = {
    "road": 0.35,
    "compound": 0.10,
    "door": 0.20,
    "building": 0.12,
    "unit": 0.08,
    "floor": 0.03,
    "room": 0.10,
    "remainder": 0.02,
}
_NAMES = ("road", "compound", "remainder")


@dataclass(frozen=True, slots=True)
class Components:
    """The parts of an address (all optional).  Numbers are canonical strings (door ``18-1``,
    building ``3`` or ``A``, unit ``2``, room ``1203``); ``floor`` is negative underground."""

    division_code: str | None = None
    road: str | None = None  #: 街路巷 (or a village / place name when no road is given)
    compound: str | None = None  #: 小区 / 单位院 name
    door: str | None = None  #: door number without 号 (弄/号院 kept only when not 号)
    building: str | None = None  #: 楼栋
    unit: str | None = None  #: 单元
    floor: int | None = None  #: 层
    room: str | None = None  #: 户室
    remainder: str = ""  #: text that fits no component


def _split_place(place: str) -> tuple[str | None, str | None]:
    """Road and compound from the leading name (天马路阳光小区 → 天马路, 阳光小区)."""
    if not place:
        return None, None
    match = _ROAD_THEN_COMPOUND.match(place)
    if match:
        return match[1], match[2]
    if place.endswith(_COMPOUND_SUFFIX) and not place.endswith(_ROAD_SUFFIX):
        return None, place
    return place, None


def extract_components(text: str, scope: str | None = None) -> Components:
    """Split a free-text address into :class:`Components` (normalising it first).

    ``scope`` is a division code the caller already knows (helps strip a bare 蒙自 prefix).
    """
    prefix, rest = split_division(text, scope)
    tokens = list(_TOKEN.finditer(rest))
    pos = tokens[0].start() if tokens else len(rest)
    place = rest[:pos]  # the name before the first number: road and/or compound
    found: dict[str, str | int] = {}
    names: list[str] = []  # other text between numbers
    for match in tokens:
        names.append(rest[pos : match.start()])
        pos = match.end()
        kind = match.lastgroup or ""
        kind = "door" if kind == "door_suffix" else "floor" if kind in ("floor", "underground") else kind
        if kind in found:  # a second door / room number: keep it as text
            names.append(match.group(0))
        elif kind == "door":
            suffix = match["door_suffix"]
            found["door"] = match["door"] + ("" if suffix in ("号", "号院") else suffix)
        elif kind == "floor":
            found["floor"] = -int(match["floor"]) if match["underground"] else int(match["floor"])
        else:
            found[kind] = match[kind]
    names.append(rest[pos:])
    road, compound = _split_place(place)
    remainder = "".join(names)
    if compound is None and remainder and "door" in found and remainder.endswith(_COMPOUND_SUFFIX):
        compound, remainder = remainder, ""
    return Components(
        division_code=prefix.code,
        road=road,
        compound=compound,
        door=found.get("door"),  # type: ignore[arg-type]
        building=found.get("building"),  # type: ignore[arg-type]
        unit=found.get("unit"),  # type: ignore[arg-type]
        floor=found.get("floor"),  # type: ignore[arg-type]
        room=found.get("room"),  # type: ignore[arg-type]
        remainder=remainder,
    )


def score_candidate(query: Components, candidate: Components) -> tuple[float, list[str]]:
    """Similarity 0..1 of a candidate standard address to a query, with the reasons.

    Names (road, compound, leftover text) are compared with rapidfuzz's ratio; numbers (door,
    building, unit, floor, room) must be equal.  A component present on one side only counts as a
    mismatch, so the door plate itself outranks its rooms for a door-level query.  Division codes
    that contradict each other (neither contains the other) cap the score at 0.5.
    """
    total = weight_sum = 0.0
    reasons: list[str] = []
    for name, weight in WEIGHTS.items():
        q, c = getattr(query, name), getattr(candidate, name)
        if q in (None, "") and c in (None, ""):
            continue
        weight_sum += weight
        if q in (None, "") or c in (None, ""):
            reasons.append(f"{name}: {'query only' if c in (None, '') else 'candidate only'} ({q or c})")
            continue
        if name in _NAMES:
            similarity = 1.0 if q == c else fuzz.ratio(q, c) / 100.0
            total += weight * similarity
            reasons.append(f"{name}: {q} ~ {c} ({similarity:.2f})")
        elif q == c:
            total += weight
            reasons.append(f"{name}: {q} = {c}")
        else:
            reasons.append(f"{name}: {q} ≠ {c}")
    score = total / weight_sum if weight_sum else 0.0
    qd, cd = query.division_code, candidate.division_code
    if qd and cd and not (qd.startswith(cd) or cd.startswith(qd)):
        score = min(score, 0.5)
        reasons.append(f"division: {qd} conflicts with {cd}")
    return round(score, 6), reasons


def rank_candidates(
    query: Components, candidates: list[tuple[str, Components]], limit: int = 10
) -> list[tuple[str, float, list[str]]]:
    """Candidates as (id, components) ranked best first: (id, score, reasons)."""
    scored = [(cid, *score_candidate(query, comps)) for cid, comps in candidates]
    scored.sort(key=lambda item: (-item[1], item[0]))
    return scored[:limit]
