"""Collection baselines (采集率基数): one stream per division and metric; a new value replaces the old one."""

from __future__ import annotations

from contracts.audit import CollectionBaselineSet
from services.kernel.eventsourcing.aggregate import Aggregate, applies


def baseline_stream(division_code: str, metric: str) -> str:
    return f"baseline-{division_code}-{metric}"


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
