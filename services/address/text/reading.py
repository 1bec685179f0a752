"""A free-text address read by the shipped parser (services.address.text.parsing) into match Components.

Why: hand-written splitting rules cannot tell a division from a road when the division is written bare
(蒙自文澜天马路十八号: 蒙自 and 文澜 are 蒙自市 and 文澜街道, the road is 天马路), nor use an abbreviated township
(草坝 for 草坝镇) to choose between two roads of one name. The parser's chunks say which part is which; this
module turns them into :class:`Components` in the canonical spelling the stored addresses are compared in:

- prov / city / district / devzone / town chunks are looked up in the division table, each inside the one
  before it (or inside the caller's scope), by full, short or bare name (a township by its name without
  街道/镇/乡: 草坝 → 草坝镇). The most specific division found is the reading's ``division_code``. A
  division chunk the table does not know, right before the road, is taken as part of the road's name (the
  parser may split an unusual road name: 弲雛 | 嘓溦路), as is a community chunk without a village or
  community suffix.
- road (or, with no road, community) → ``road``; poi → ``compound``; roadno, houseno, cellno, floorno,
  roomno → door, building, unit, floor and room, normalised as stored (十八号 → 18, 三座 → 3, 负一层 → -1);
  what the parser calls assist, subpoi, otherinfo or person is the ``remainder``; redundant text is dropped.
"""

from __future__ import annotations

import re
from functools import lru_cache

from contracts import divisions
from services.address.domain.normalize import clean
from services.address.text.components import Components

DIVISION_LEVELS = {"prov": "province", "city": "prefecture", "district": "county", "devzone": "county",
                   "town": "township"}
REMAINDER_LABELS = ("subroad", "subroadno", "subpoi", "assist", "otherinfo", "person")
_TOWNSHIP_SUFFIX = re.compile(r"(?:街道办事处|街道|镇|乡|苏木)$")
_COMMUNITY_SUFFIX = ("村", "社区", "居委会", "村委会", "组", "寨", "庄", "屯")
_DOOR = re.compile(r"([A-Z]?\d+(?:-\d+)?)(号院|号|弄|巷)?")
_BUILDING = re.compile(r"([0-9A-Z]+(?:-\d+)?)")
_NUMBER = re.compile(r"\d+")
_ROOM = re.compile(r"([A-Z]?\d+(?:-\d+)*)")

Chunks = tuple[tuple[str, str], ...]


@lru_cache(maxsize=1024)
def parse_chunks(text: str) -> Chunks:
    """(label, text) of the parser's chunks; cached, so a text re-read under another scope is not re-parsed."""
    from services.address.text.parsing import parse

    return tuple((chunk.label, chunk.text) for chunk in parse(text))


# divisions ------------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _township_stems() -> dict[str, tuple[str, ...]]:
    """Bare township names (草坝 → 草坝镇's codes): the division table indexes bare names only above townships."""
    registry, stems = divisions.registry(), {}
    for code in registry.codes():
        if len(code) != 9:
            continue
        for record in registry.history(code):
            stem = _TOWNSHIP_SUFFIX.sub("", record.name)
            if len(stem) >= 2 and stem != record.name:
                stems.setdefault(stem, set()).add(code)
    return {stem: tuple(sorted(codes)) for stem, codes in stems.items()}


def _related(code: str, other: str) -> bool:
    return code.startswith(other) or other.startswith(code)


def _current(code: str) -> str:
    resolved = divisions.resolve(code)
    return resolved.code if resolved else code


def find_division(name: str, label: str, within: str | None, scope: str | None) -> set[str]:
    """Current codes a division chunk may name: below ``within`` (the division read before it), agreeing
    with ``scope`` where any does; the largest ones when nothing was read before it, else those at the chunk's
    level where any is."""
    registry = divisions.registry()
    codes = {code for code, _ in registry.aliases.get(name, ())} | set(_township_stems().get(name, ()))
    codes = {_current(code) for code in codes}
    if within:
        codes = {code for code in codes if code.startswith(within) and code != within}
    if scope and any(_related(code, scope) for code in codes):
        codes = {code for code in codes if _related(code, scope)}
    level = DIVISION_LEVELS.get(label)
    if within is None and codes:
        # Nothing read above it: a bare name means the larger division (蒙自 is 蒙自市, not a township of that
        # stem far away), whatever level the parser guessed.
        top = min(len(code) for code in codes)
        codes = {code for code in codes if len(code) == top}
    elif any(divisions.level_of(code) == level for code in codes):
        codes = {code for code in codes if divisions.level_of(code) == level}
    shortest = min(codes, key=len, default=None)
    if shortest and all(code.startswith(shortest) for code in codes):
        return {shortest}
    return codes


def read_divisions(chunks: Chunks, scope: str | None) -> tuple[str | None, tuple[str, ...], set[int]]:
    """What the text's division chunks name: the most specific division (None when none or ambiguous), the
    divisions the most specific chunk may name (one, or several for a bare 草坝 found in three counties), and
    the indexes of the division chunks the table does not know."""
    code, options, unknown = None, (), set()
    for index, (label, text) in enumerate(chunks):
        if label not in DIVISION_LEVELS:
            continue
        found = find_division(clean(text), label, code, scope)
        if not found:
            unknown.add(index)
            continue
        options = tuple(sorted(found))
        if len(found) == 1:
            code = options[0]
    return code, options, unknown


def named_divisions(text: str, scope: str | None = None) -> tuple[str, ...]:
    """The divisions a free text names at its most specific level: one, several when ambiguous, or none."""
    return read_divisions(parse_chunks(text), scope)[1]


# numbers ----------------------------------------------------------------------------------------------
def _door(text: str) -> str | None:
    match = _DOOR.search(clean(text))
    if not match:
        return None
    suffix = match[2] or "号"
    return match[1] + ("" if suffix in ("号", "号院") else suffix)


def _first(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(clean(text))
    return match[1] if match and match.groups() else (match[0] if match else None)


def _floor(text: str) -> int | None:
    canonical = clean(text)
    number = _NUMBER.search(canonical)
    if not number:
        return None
    return -int(number[0]) if canonical.startswith(("地下", "B")) or "地下" in canonical else int(number[0])


# the reading ------------------------------------------------------------------------------------------
def components_of(chunks: Chunks, scope: str | None = None) -> Components:
    """Components of a parsed address (see the module docstring)."""
    division_code, _, unknown = read_divisions(chunks, scope)
    found: dict[str, object] = {}
    pending: list[str] = []  # unknown division / bare community chunks waiting to see whether a road follows
    remainder: list[str] = []
    community = None
    for index, (label, text) in enumerate(chunks):
        canonical = clean(text)
        if index in unknown or (label == "community" and not canonical.endswith(_COMMUNITY_SUFFIX)):
            pending.append(canonical)
            continue
        if label == "road":
            found.setdefault("road", "".join(pending) + canonical)
        elif label == "community":
            community = community or canonical
            remainder.extend(pending)
        elif label == "poi":
            found.setdefault("compound", canonical)
            remainder.extend(pending)
        else:
            remainder.extend(pending)
            if label == "roadno":
                found.setdefault("door", _door(text))
            elif label == "houseno":
                found.setdefault("building", _first(_BUILDING, text))
            elif label == "cellno":
                found.setdefault("unit", _first(_NUMBER, text))
            elif label == "floorno":
                found.setdefault("floor", _floor(text))
            elif label == "roomno":
                found.setdefault("room", _first(_ROOM, text))
            elif label in REMAINDER_LABELS:
                remainder.append(canonical)
        pending = []
    road = found.get("road") or community or ("".join(pending) or None)
    if pending and found.get("road"):
        remainder.extend(pending)
    return Components(
        division_code=division_code, road=road, compound=found.get("compound"), door=found.get("door"),  # type: ignore[arg-type]
        building=found.get("building"), unit=found.get("unit"), floor=found.get("floor"),  # type: ignore[arg-type]
        room=found.get("room"), remainder="".join(remainder),  # type: ignore[arg-type]
    )


def read_address(text: str, scope: str | None = None) -> Components:
    """A free-text address as Components, read by the parser; ``scope``: a division the caller already knows."""
    return components_of(parse_chunks(text), scope)
