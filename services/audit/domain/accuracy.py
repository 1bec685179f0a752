"""Accuracy from inspections (准确率): per division, over fields and over records, with Wilson intervals.

A field judged ``unverifiable`` counts in neither numerator nor denominator; a record counts as correct when
every verifiable field on it was correct.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

from services.audit.domain.wilson import wilson


def accuracy_by_division(campaigns: Iterable[dict[str, Any]], level: int | None = None,
                         within: str = "") -> dict[str, dict[str, Any]]:
    """{division: {"fields": ..., "records": ...}} over records inside ``within``; ``level`` cuts division codes
    to that many digits (9 = township)."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # fields ok, fields, records ok, records
    for campaign in campaigns:
        divisions = {item["stream_id"]: item["division_code"] for item in campaign.get("items", [])}
        for stream_id, inspection in campaign.get("inspections", {}).items():
            division = divisions.get(stream_id, "")
            if not division.startswith(within):
                continue
            division = division[:level] if level else division
            verdicts = [v for v in inspection["verdicts"] if v["verdict"] != "unverifiable"]
            if not verdicts:
                continue
            row = counts[division]
            right = sum(v["verdict"] == "correct" for v in verdicts)
            row[0] += right
            row[1] += len(verdicts)
            row[2] += right == len(verdicts)
            row[3] += 1
    return {division: {"fields": wilson(row[0], row[1]).as_dict(), "records": wilson(row[2], row[3]).as_dict()}
            for division, row in sorted(counts.items())}


def overall(campaigns: Iterable[dict[str, Any]], within: str = "") -> dict[str, Any]:
    """One accuracy over every inspected record inside ``within``."""
    merged = accuracy_by_division(campaigns, within=within)
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
