"""Door numbers (门牌号) and per-city numbering rules (编号规则).

Why: a door plate's number is written many ways (18号, 十八号, 18之1号, A18号); the deduplication key
must be one canonical spelling (road + normalised number), and whether 18号 belongs on the left side
of a road, or whether 14号 is legitimately absent, depends on the city's rule — configuration, not code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from contracts.elements import RuleViolation
from services.address.domain.normalize import clean

Side = Literal["left", "right", "odd", "even"]

DEFAULT_SUFFIX = "号"
#: Suffixes that name the same door (18号 = 18号院); others (弄 lane, 巷) are kept in the key.
_DOOR_SUFFIXES = ("号院", "号", "弄", "巷")
_SAME_DOOR_SUFFIXES = ("号", "号院")
_DOOR = re.compile(
    r"^(?P<prefix>[A-Z]{1,2}|[东西南北中临甲乙丙丁]|)(?P<number>\d{1,6})(?:-(?P<sub>\d{1,4}))?(?P<suffix>号院|号|弄|巷)?$"
)
#: The local rule that skips unlucky numbers, where a city adopts it.
SKIP_4_13_14 = frozenset({4, 13, 14})


class DoorNumberError(ValueError):
    """A door number that cannot be read; the message is Chinese / English."""


@dataclass(frozen=True, slots=True)
class DoorNumber:
    """Prefix + number (+ sub-number) + suffix: A18号, 18-1号 (18之1号, 18附1号), 18号."""

    number: int
    prefix: str = ""
    sub: int | None = None
    suffix: str = DEFAULT_SUFFIX

    def format(self) -> str:
        """Display form: ``A18-1号``."""
        return f"{self.prefix}{self.number}{'' if self.sub is None else f'-{self.sub}'}{self.suffix}"

    @property
    def key(self) -> str:
        """Canonical number for deduplication: 18号 = 18号院 = 十八号 → ``18``; 18之1号 → ``18-1``."""
        tail = "" if self.suffix in _SAME_DOOR_SUFFIXES else self.suffix
        return f"{self.prefix}{self.number}{'' if self.sub is None else f'-{self.sub}'}{tail}"

    @property
    def parity(self) -> Literal["odd", "even"]:
        """Parity of the main number (a sub-number 18-1 stands beside 18)."""
        return "odd" if self.number % 2 else "even"

    def __str__(self) -> str:
        return self.format()


def parse_door_number(text: str | int) -> DoorNumber:
    """Read a door number written in any usual way (half-/full-width, Chinese numerals, 之/附/-)."""
    raw = str(text)
    canonical = clean(raw)
    match = _DOOR.match(canonical)
    if not match:
        raise DoorNumberError(
            f"门牌号格式无效：{raw!r}（应为 前缀+数字+后缀，如 18号、18-1号、A18号） / "
            f"invalid door number {raw!r} (expected prefix + number + suffix, e.g. 18号, 18-1号, A18号)"
        )
    number = int(match["number"])
    if number == 0:
        raise DoorNumberError(f"门牌号不能为 0：{raw!r} / door number cannot be 0: {raw!r}")
    return DoorNumber(
        number=number,
        prefix=match["prefix"],
        sub=int(match["sub"]) if match["sub"] else None,
        suffix=match["suffix"] or DEFAULT_SUFFIX,
    )


def format_door_number(number: int, prefix: str = "", sub: int | None = None, suffix: str = DEFAULT_SUFFIX) -> str:
    """Display form of a door number from its parts (``suffix`` defaults to 号)."""
    return DoorNumber(number, prefix, sub, suffix).format()


def door_key(road: str, number: str | int | DoorNumber) -> str:
    """Deduplication key of a door plate (门牌去重键): canonical road name + ``#`` + canonical number."""
    door = number if isinstance(number, DoorNumber) else parse_door_number(number)
    return f"{clean(road)}#{door.key}"


@dataclass(frozen=True, slots=True)
class NumberingRule:
    """A city's door-numbering rule.

    ``odd_side``: side of the road that carries odd numbers ("left" for 左单右双, looking in the
    direction of increasing numbers); None when numbers run consecutively without sides.
    ``skip``: numbers a local rule leaves out (e.g. :data:`SKIP_4_13_14`); empty means none skipped.
    ``start``: the first number of a road.
    """

    odd_side: Literal["left", "right"] | None = "left"
    skip: frozenset[int] = field(default_factory=frozenset)
    start: int = 1

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> NumberingRule:
        """Build from configuration: ``{"odd_side": "left"|"right"|None, "skip": [4, 13, 14], "start": 1}``."""
        odd_side = config.get("odd_side", "left")
        if odd_side in (None, "", "none"):
            odd_side = None
        if odd_side not in (None, "left", "right"):
            raise ValueError(f"odd_side 应为 left/right/none / odd_side must be left, right or none: {odd_side!r}")
        start = int(config.get("start", 1))
        if start < 1:
            raise ValueError(f"起始号须≥1 / start must be at least 1: {start}")
        return cls(odd_side=odd_side, skip=frozenset(int(n) for n in config.get("skip", ())), start=start)

    def side_of(self, number: int) -> Literal["left", "right"] | None:
        """The side a number belongs on (None without an odd/even rule)."""
        if self.odd_side is None:
            return None
        even_side = "right" if self.odd_side == "left" else "left"
        return self.odd_side if number % 2 else even_side

    def parity_of_side(self, side: Side) -> Literal["odd", "even"] | None:
        """Parity that ``side`` carries: 'odd'/'even' name it directly, left/right via ``odd_side``."""
        if side in ("odd", "even"):
            return side
        if self.odd_side is None:
            return None
        return "odd" if side == self.odd_side else "even"

    def check_side(self, number: int, side: Side | None) -> RuleViolation | None:
        """None when ``number`` may stand on ``side``; else the odd/even rule it breaks."""
        if side is None:
            return None
        parity = self.parity_of_side(side)
        if parity is None:
            return None
        actual = "odd" if number % 2 else "even"
        if actual == parity:
            return None
        zh = {"odd": "单号", "even": "双号"}
        return RuleViolation(
            "odd-even-side",
            f"{number}号为{zh[actual]}，不应编在{zh[parity]}一侧（{side}）",
            f"number {number} is {actual} and must not be on the {parity}-numbered side ({side})",
        )

    def is_skipped(self, number: int) -> bool:
        """True when a local rule leaves ``number`` out."""
        return number in self.skip

    def check_number(self, number: int) -> RuleViolation | None:
        """None unless ``number`` is below the start or is a number the local rule skips."""
        if number < self.start:
            return RuleViolation("below-start", f"门牌号须≥{self.start}", f"door numbers start at {self.start}")
        if self.is_skipped(number):
            return RuleViolation(
                "skipped-number",
                f"本地规则不使用 {number} 号",
                f"the local rule does not use number {number}",
            )
        return None

    def expected_numbers(self, up_to: int, side: Side | None = None) -> list[int]:
        """Numbers the rule expects from ``start`` up to ``up_to`` on ``side`` (all sides when None)."""
        parity = self.parity_of_side(side) if side else None
        return [
            n
            for n in range(self.start, up_to + 1)
            if not self.is_skipped(n) and (parity is None or (n % 2 == 1) == (parity == "odd"))
        ]

    def gaps(self, numbers: Iterable[int], side: Side | None = None) -> list[int]:
        """Expected numbers missing below the highest present one (no skipped numbers allowed)."""
        present = set(numbers)
        if not present:
            return []
        return [n for n in self.expected_numbers(max(present), side) if n not in present]

    def next_number(self, numbers: Iterable[int], side: Side | None = None) -> int:
        """The lowest number the rule allows on ``side`` that is not yet used (fills gaps first)."""
        present = set(numbers)
        parity = self.parity_of_side(side) if side else None
        n = self.start
        while True:
            if n not in present and not self.is_skipped(n) and (parity is None or (n % 2 == 1) == (parity == "odd")):
                return n
            n += 1
