"""Accuracy from inspections (准确率): per division, over fields and over records, with Wilson intervals.

A field judged ``unverifiable`` counts in neither numerator nor denominator; a record counts as correct when
every verifiable field on it was correct.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable, Iterable

from services.audit.domain.wilson import wilson


DIVISION_DIGITS = 12  #: a longer code is a community place (社区, 24 digits), matched on the sample's stratum


def place_of(item: dict[str, Any], within: str, stratum: bool = False) -> str:
    """What an inspected record is matched on: its community stratum for a community code, else its division.
    (A 24-digit community code never prefixes a record's 9-digit township code: matched that way, community
    accuracy was always empty.)"""
    if stratum or len(within) > DIVISION_DIGITS:
        return item.get("stratum") or ""
    return item.get("division_code") or ""


def accuracy_by(campaigns: Iterable[dict[str, Any]], group: Callable[[dict[str, Any]], str | None]
                ) -> dict[str, dict[str, Any]]:
    """{group: {"fields": ..., "records": ...}} over every inspected record ``group`` places (None: left out),
    given its sampled item (stream_id, stratum, division_code): the one counting rule of accuracy."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # fields ok, fields, records ok, records
    for campaign in campaigns:
        items = {item["stream_id"]: item for item in campaign.get("items", [])}
        for stream_id, inspection in campaign.get("inspections", {}).items():
            name = group(items.get(stream_id) or {"stream_id": stream_id})
            verdicts = [v for v in inspection["verdicts"] if v["verdict"] != "unverifiable"]
            if name is None or not verdicts:
                continue
            row = counts[name]
            right = sum(v["verdict"] == "correct" for v in verdicts)
            row[0] += right
            row[1] += len(verdicts)
            row[2] += right == len(verdicts)
            row[3] += 1
    return {name: {"fields": wilson(row[0], row[1]).as_dict(), "records": wilson(row[2], row[3]).as_dict()}
            for name, row in sorted(counts.items())}


def accuracy_by_collector(campaigns: Iterable[dict[str, Any]], collector_of: Callable[[str], str | None],
                          within: str = "") -> dict[str, dict[str, Any]]:
    """{collector: {"fields": ..., "records": ...}} over the inspected records inside ``within``: a county-wide
    campaign also inspects other townships' records, and their collectors are not this division's to rank."""
    def collector(item: dict[str, Any]) -> str | None:
        return collector_of(item["stream_id"]) if place_of(item, within).startswith(within) else None

    return accuracy_by(campaigns, collector)


def accuracy_by_division(campaigns: Iterable[dict[str, Any]], level: int | None = None,
                         within: str = "", exact: bool = False, stratum: bool = False) -> dict[str, dict[str, Any]]:
    """{division: {"fields": ..., "records": ...}} over records inside ``within`` (exactly at it when ``exact``:
    the records a county holds in no township; ``stratum``: matched on the sampled stratum, community or township);
    ``level`` cuts division codes to that many digits (9 = township)."""
    def division_of(item: dict[str, Any]) -> str | None:
        division = place_of(item, within, stratum)
        if not (division == within if exact else division.startswith(within)):
            return None
        return division[:level] if level else division

    return accuracy_by(campaigns, division_of)


def overall(campaigns: Iterable[dict[str, Any]], within: str = "", exact: bool = False,
            stratum: bool = False) -> dict[str, Any]:
    """One accuracy over every inspected record inside ``within`` (a division, or a community place)."""
    merged = accuracy_by_division(campaigns, within=within, exact=exact, stratum=stratum)
    if not merged:
        return {"fields": wilson(0, 0).as_dict(), "records": wilson(0, 0).as_dict()}
    fields = [0, 0]
    records = [0, 0]
    for row in merged.values():
        fields[0] += row["fields"]["correct"]
        fields[1] += row["fields"]["inspected"]
        records[0] += row["records"]["correct"]
        records[1] += row["records"]["inspected"]
    return {"fields": wilson(*fields).as_dict(), "records": wilson(*records).as_dict()}
