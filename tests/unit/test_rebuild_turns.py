"""A rebuild replays the sources a projection names first before the rest, and its partitions take turns committing
once two of their batches conflicted (or from the start when the projection says so), applying every record once."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from aiokafka import TopicPartition
from pymongo.errors import OperationFailure

from services.audit.projections.figures import figures
from services.kernel.messaging.projection import Projection
from services.kernel.operations.rebuild import _drain, phases


class _Consumer:
    """Each partition's records by offset, fetched from a position (as aiokafka's getmany for one partition)."""

    def __init__(self, records: dict[TopicPartition, list]) -> None:
        self.records = records
        self.positions = dict.fromkeys(records, 0)

    async def position(self, tp: TopicPartition) -> int:
        return self.positions[tp]

    async def getmany(self, tp: TopicPartition, timeout_ms: int, max_records: int) -> dict:
        start = self.positions[tp]
        self.positions[tp] = min(len(self.records[tp]), start + max_records)
        return {tp: self.records[tp][start:self.positions[tp]]}

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.positions[tp] = offset


class _Runner:
    """Applies batches of 3, the first batch of partition 0 conflicting once; records how many ran at once."""

    def __init__(self, projection: Projection) -> None:
        self.projection = projection
        self.topics = [f"t.{source}.events" for source in projection.sources]
        self.limits = SimpleNamespace(max_events=3)
        self.applied: list = []
        self.running = self.most = self.running_after = 0
        self.conflicted = False
        self.after_conflict: list[int] = []  #: batches begun after the conflict running at once, as each began

    async def apply_batch(self, pending: list) -> int:
        after = self.conflicted  # (a batch begun before it may still finish)
        self.running += 1
        self.running_after += after
        self.most = max(self.most, self.running)
        if after:
            self.after_conflict.append(self.running_after)
        try:
            await asyncio.sleep(0.01)
            if not self.conflicted and pending[0].partition == 0:
                self.conflicted = True
                raise OperationFailure("Write conflict", code=112)
            self.applied.extend(pending[:3])
            return min(3, len(pending))
        finally:
            self.running -= 1
            self.running_after -= after


def _records(topics: list[str], partitions: int = 3, each: int = 7) -> dict[TopicPartition, list]:
    return {TopicPartition(topic, p): [SimpleNamespace(topic=topic, partition=p, offset=o) for o in range(each)]
            for topic in topics for p in range(partitions)}


def test_the_sources_replayed_first_come_in_a_phase_of_their_own_before_the_rest():
    projection = Projection("demo", sources=["address", "person", "house"], collections=[])
    projection.replayed_first = ["address"]
    runner = _Runner(projection)
    partitions = list(_records(runner.topics))
    assert [{tp.topic for tp in phase} for phase in phases(runner, partitions)] == \
        [{"t.address.events"}, {"t.person.events", "t.house.events"}]
    assert figures.replayed_first == ["address"] and figures.take_turns


@pytest.mark.parametrize("take_turns", [False, True])
async def test_partitions_take_turns_after_a_conflict_and_every_record_is_applied_once(take_turns):
    projection = Projection("demo", sources=["person"], collections=[])
    projection.take_turns = take_turns
    runner = _Runner(projection)
    records = _records(runner.topics)
    consumer = _Consumer(records)
    applied = await _drain(consumer, runner, list(records), {tp: len(r) for tp, r in records.items()}, None)
    assert applied == sum(len(r) for r in records.values())
    assert sorted((r.topic, r.partition, r.offset) for r in runner.applied) == \
        sorted((r.topic, r.partition, r.offset) for rs in records.values() for r in rs)
    assert runner.after_conflict and max(runner.after_conflict) == 1, "one batch at a time after the conflict"
    assert runner.most == (1 if take_turns else 3), "side by side until then, unless the projection takes turns"
