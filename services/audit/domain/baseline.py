"""Collection baselines (采集率基数): the figures a collection rate divides by (户籍 and census figures per division).

Imported from a file, whole (``CollectionBaselinesImported``, the next version of ``baselines-<scope>``), or set
one at a time (``CollectionBaselineSet``, ``baseline-<division>-<metric>``, kept for old callers). A division's
baseline for a metric is the latest figure recorded for it by either, and says where it came from (which
import version), so a rate names the baseline version it used. Pure.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from contracts.audit import BaselineRow, CollectionBaselineSet, CollectionBaselinesImported
from services.kernel.eventsourcing.aggregate import Aggregate, applies

#: the metric a baseline is the denominator of → the collection rate it gives
RATE_OF = {"persons_total": "persons_collection_rate", "houses_total": "houses_collection_rate",
           "units_total": "units_collection_rate", "doorplates_total": "doorplates_collection_rate"}


def baseline_stream(division_code: str, metric: str) -> str:
    return f"baseline-{division_code}-{metric}"


def imports_stream(division_code: str) -> str:
    return f"baselines-{division_code}"


class Baseline(Aggregate):
    stream_type = "CollectionBaseline"

    def __init__(self, stream_id: str) -> None:
        super().__init__(stream_id)
        self.value: int | None = None

    @applies(CollectionBaselineSet)
    def _set(self, event: CollectionBaselineSet) -> None:
        self.value = event.value
        self.division_code = event.division_code

    def set(self, event: CollectionBaselineSet) -> None:
        self.record(event)


class BaselineImports(Aggregate):
    """A scope's imported baseline files; its version is the baselines' version (each import the next one)."""

    stream_type = "CollectionBaselineImports"

    @applies(CollectionBaselinesImported)
    def _imported(self, event: CollectionBaselinesImported) -> None:
        self.division_code = event.division_code  # the rows live in the event (and the archive)

    def imported(self, event: CollectionBaselinesImported) -> None:
        self.record(event)


def in_force(imports: Iterable[dict[str, Any]], singles: Iterable[dict[str, Any]],
             within: str = "") -> dict[str, dict[str, dict[str, Any]]]:
    """{division: {metric: {value, version, scope, source, recorded_at}}} for divisions inside ``within``: per
    division and metric the latest figure by recorded time. ``imports``: {division_code (scope), version,
    recorded_at, rows, source}; ``singles``: the one-at-a-time settings {division_code, metric, value, version,
    recorded_at, source} (``version`` None: not an import)."""
    latest: dict[tuple[str, str], tuple[datetime, dict[str, Any]]] = {}

    def offer(division: str, metric: str, recorded_at: datetime, figure: dict[str, Any]) -> None:
        if division.startswith(within) and ((division, metric) not in latest
                                            or latest[(division, metric)][0] <= recorded_at):
            latest[(division, metric)] = (recorded_at, figure)

    for done in imports:
        for row in done["rows"]:
            row = row if isinstance(row, dict) else BaselineRow.model_validate(row).model_dump()
            offer(row["division_code"], row["metric"], done["recorded_at"], {
                "value": row["value"], "version": done["version"], "scope": done["division_code"],
                "source": row.get("source") or done.get("source", ""), "recorded_at": done["recorded_at"]})
    for single in singles:
        offer(single["division_code"], single["metric"], single["recorded_at"], {
            "value": single["value"], "version": None, "scope": single["division_code"],
            "source": single.get("source", ""), "recorded_at": single["recorded_at"]})
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for (division, metric), (_, figure) in sorted(latest.items()):
        table.setdefault(division, {})[metric] = figure
    return table
