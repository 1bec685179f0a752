"""Quality report of the door plates of one road (重、错、漏门牌清理).

Why: the notice asks for duplicate, wrong and missing door plates to be found and cleaned up.  Given
the plates of a road and the city's numbering rule, this pure function lists duplicates (same
normalised key), gaps in the numbering (respecting odd/even sides and skipped numbers), numbers on
the wrong side, numbers the local rule skips, plates without coordinates or with coordinates far from
their division, unreadable numbers and pending approvals.  Retired plates are left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Literal

from services.address.domain import geo
from services.address.domain.normalize import clean
from services.address.domain.numbering import DoorNumber, DoorNumberError, NumberingRule, Side, parse_door_number

ApprovalState = Literal["pending", "approved", "rejected"]
PlateStatus = Literal["in_use", "retired"]


@dataclass(frozen=True, slots=True)
class PlateInput:
    """What the report needs of a door plate (WGS-84 coordinates; ``side`` as recorded)."""

    plate_id: str
    number: str
    side: Side | None = None
    lng: float | None = None
    lat: float | None = None
    approval: ApprovalState = "approved"
    status: PlateStatus = "in_use"


@dataclass(frozen=True, slots=True)
class DuplicateGroup:
    """Plates sharing one deduplication key (road + normalised number)."""

    key: str
    number: str
    plate_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Gap:
    """Numbers missing on one side (``side`` None without an odd/even rule), as inclusive ranges."""

    side: str | None
    parity: str | None
    missing: tuple[int, ...]
    ranges: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class PlateIssue:
    """One plate breaking a rule, with the reason in Chinese and English."""

    plate_id: str
    number: str
    rule: str
    message_zh: str
    message_en: str


@dataclass
class RoadQualityReport:
    """Everything found on one road; ``issue_count`` is 0 for a clean road."""

    road: str
    plate_count: int
    duplicates: list[DuplicateGroup] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    wrong_side: list[PlateIssue] = field(default_factory=list)
    skipped_numbers_used: list[PlateIssue] = field(default_factory=list)
    missing_coordinates: list[str] = field(default_factory=list)
    implausible_coordinates: list[PlateIssue] = field(default_factory=list)
    unreadable_numbers: list[PlateIssue] = field(default_factory=list)
    pending_approvals: list[str] = field(default_factory=list)

    @property
    def issue_count(self) -> int:
        """Plates or numbers needing attention (a duplicate group and a missing number count once)."""
        return (
            len(self.duplicates)
            + sum(len(g.missing) for g in self.gaps)
            + len(self.wrong_side)
            + len(self.skipped_numbers_used)
            + len(self.missing_coordinates)
            + len(self.implausible_coordinates)
            + len(self.unreadable_numbers)
            + len(self.pending_approvals)
        )

    def as_dict(self) -> dict:
        """Plain JSON-ready form."""
        return asdict(self) | {"issue_count": self.issue_count}


def _ranges(numbers: list[int], step: int) -> tuple[tuple[int, int], ...]:
    """[1, 3, 5, 9] with step 2 → ((1, 5), (9, 9)); skipped numbers split ranges."""
    out: list[list[int]] = []
    for n in numbers:
        if out and n - out[-1][1] == step:
            out[-1][1] = n
        else:
            out.append([n, n])
    return tuple((a, b) for a, b in out)


def road_quality_report(
    road: str,
    plates: Iterable[PlateInput],
    rule: NumberingRule | None = None,
    division_code: str | None = None,
) -> RoadQualityReport:
    """Check the plates of ``road`` against ``rule`` (default: odd left, even right, nothing skipped).

    ``division_code`` (county or township), when given, also flags coordinates far outside it.
    """
    rule = rule or NumberingRule()
    road_key = clean(road)
    report = RoadQualityReport(road=road, plate_count=0)
    groups: dict[str, list[tuple[PlateInput, DoorNumber]]] = {}
    main_numbers: set[int] = set()
    for plate in plates:
        if plate.status == "retired":
            continue
        report.plate_count += 1
        if plate.approval == "pending":
            report.pending_approvals.append(plate.plate_id)
        if plate.lng is None or plate.lat is None:
            report.missing_coordinates.append(plate.plate_id)
        elif division_code:
            verdict = geo.plausibly_within(division_code, plate.lng, plate.lat)
            if not verdict.ok:
                report.implausible_coordinates.append(
                    PlateIssue(
                        plate.plate_id,
                        plate.number,
                        "coordinates-outside-division",
                        verdict.message_zh,
                        verdict.message_en,
                    )
                )
        try:
            door = parse_door_number(plate.number)
        except DoorNumberError as exc:
            report.unreadable_numbers.append(
                PlateIssue(plate.plate_id, plate.number, "unreadable-number", *str(exc).split(" / ", 1))
            )
            continue
        groups.setdefault(f"{road_key}#{door.key}", []).append((plate, door))
        plain = not door.prefix and door.sub is None and door.suffix in ("号", "号院")
        if plain:
            main_numbers.add(door.number)
        violation = rule.check_side(door.number, plate.side)
        if violation:
            report.wrong_side.append(
                PlateIssue(plate.plate_id, door.format(), violation.rule, violation.message_zh, violation.message_en)
            )
        if plain and rule.is_skipped(door.number):
            violation = rule.check_number(door.number)
            assert violation is not None
            report.skipped_numbers_used.append(
                PlateIssue(plate.plate_id, door.format(), violation.rule, violation.message_zh, violation.message_en)
            )
    for key in sorted(groups):
        members = groups[key]
        if len(members) > 1:
            report.duplicates.append(
                DuplicateGroup(key, members[0][1].format(), tuple(sorted(p.plate_id for p, _ in members)))
            )
    if rule.odd_side is None:
        missing = rule.gaps(main_numbers)
        if missing:
            report.gaps.append(Gap(None, None, tuple(missing), _ranges(missing, 1)))
    else:
        for parity in ("odd", "even"):
            numbers = [n for n in main_numbers if (n % 2 == 1) == (parity == "odd")]
            missing = rule.gaps(numbers, parity)  # type: ignore[arg-type]
            if missing:
                side = rule.side_of(1 if parity == "odd" else 2)
                report.gaps.append(Gap(side, parity, tuple(missing), _ranges(missing, 2)))
    return report
