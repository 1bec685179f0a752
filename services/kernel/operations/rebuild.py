"""Rebuild a read model from offset 0 into a fresh generation, then swap it in when caught up.

The rebuild reads every partition of the projection's topics from the beginning and applies them through
the same ProjectionRunner the live service uses (same handlers, same duplicate and gap rules, same dead
letters and parking), but built for replay: large batches (thousands of events per transaction, across
partitions -- a stream's order is its partition's order), checkpoints kept in memory and written once at the
end, and secondary indexes built after the load (unique ones before, they are rules, and those the handlers
query while applying, marked ``read_while_applying``, else each such query scans), or every index before the
load once the replay is larger than ``INDEXES_FIRST_FROM`` events (see there); the projection's ``settle`` (the
figures fold their pending changes) runs after the load, before those indexes and the swap. Partitions are applied side
by side, those of the sources a projection names ``replayed_first`` before the rest, and they take turns
committing once they conflict (``Turns``). When it reaches the
end offsets it saw, it looks again and keeps going until what live traffic added meanwhile is less than a
batch; then it commits the new generation's consumer-group offsets and flips the pointer, so the live
service's new consumer continues exactly where the rebuild stopped. The old generation stays on disk for
comparison or rollback.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from services.kernel.base.settings import Settings
from services.kernel.messaging.batching import BatchLimits
from services.kernel.messaging.failures import is_infrastructure
from services.kernel.messaging.generations import active_generation, swap_generation
from services.kernel.messaging.projection import Projection, physical_name
from services.kernel.messaging.projection_runner import ProjectionRunner
from services.kernel.messaging.runtime import kafka_producer, mongo_client
from services.kernel.operations.progress import Progress

# A replay transaction: thousands of events, still far inside the server's cache and 10 s lifetime.
REPLAY_LIMITS = BatchLimits(max_events=5000, max_bytes=16 * 1024 * 1024, max_seconds=4.0)


@dataclass
class RebuildReport:
    projection: str
    previous_generation: int
    generation: int
    events: int
    seconds: float
    swapped: bool
    events_per_second: float = 0.0
    round_trips: int = 0
    settle_seconds: float = 0.0  #: the projection's ``settle`` after the load (the figures' fold of pending changes)


#: a replay of more events than this makes every index before its load. SecantusDB builds an index in one
#: statement transaction holding all its entries: over the 1.3 million records of the default city that
#: transaction never fit the server's cache and was retried for as long as it was let run (bench/README.md,
#: 'A city's reads'); an index kept as documents arrive costs a little per insert and never stalls.
INDEXES_FIRST_FROM = 100_000

#: tries of a batch that conflicted with another partition's transaction before the rebuild gives up
MAX_CONFLICT_RETRIES = 60

async def rebuild(settings: Settings, context: str, projection: Projection, swap: bool = True,
                  show_progress: bool = False, limits: BatchLimits = REPLAY_LIMITS) -> RebuildReport:
    started = time.perf_counter()
    client = mongo_client(settings)
    db = client[settings.database_name(context)]
    producer = kafka_producer(settings)
    await producer.start()
    try:
        current = await active_generation(db, projection.name)
        generation = current + 1
        for logical in [*projection.collections, f"{projection.name}.checkpoints", f"{projection.name}.parked"]:
            await db.drop_collection(physical_name(logical, generation))  # leftovers of an abandoned rebuild
        runner = ProjectionRunner.for_settings(projection, client, db, producer, settings, generation, limits=limits)
        runner.memory = {}
        for logical in projection.collections:  # created up front: concurrent transactions may not create them
            await db.create_collection(physical_name(logical, generation))
        await runner.ensure_indexes(unique_only=True)

        async def before_load(replayed: int) -> None:
            if replayed > INDEXES_FIRST_FROM:
                await runner.ensure_indexes(skip_unique=True)

        events = await _replay(settings, runner, Progress(f"rebuild {projection.name}", 0) if show_progress else None,
                               before_load)
        await runner.write_memory_checkpoints()
        settled = time.perf_counter()
        if projection.settle:
            await projection.settle({logical: db[physical_name(logical, generation)]
                                     for logical in projection.collections})
        settle_seconds = round(time.perf_counter() - settled, 2)
        await runner.ensure_indexes(skip_unique=True)  # made before the load? then only what settle dropped
        if swap:
            await swap_generation(db, projection.name, generation, current)
        seconds = time.perf_counter() - started
        return RebuildReport(projection.name, current, generation, events, round(seconds, 2), swap,
                             round(events / seconds, 1) if seconds else 0.0, runner.round_trips, settle_seconds)
    finally:
        await producer.stop()
        await client.close()


async def _replay(settings: Settings, runner: ProjectionRunner, progress: Progress | None,
                  before_load: Callable[[int], Awaitable[None]] | None = None) -> int:
    """Apply every partition up to its end offset; ``before_load`` is told how many events that is first."""
    consumer = AIOKafkaConsumer(**settings.kafka_client_options(), group_id=runner.group_id,
                                enable_auto_commit=False, auto_offset_reset="earliest",
                                max_partition_fetch_bytes=8 * 1024 * 1024, fetch_max_bytes=64 * 1024 * 1024)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, partition) for topic in runner.topics
                      for partition in sorted(consumer.partitions_for_topic(topic) or await _partitions(consumer, topic))]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        start = await consumer.beginning_offsets(partitions)
        end = await consumer.end_offsets(partitions)
        if before_load:
            await before_load(sum(end[tp] - start[tp] for tp in partitions))
        applied = 0
        while True:
            if progress:
                progress.total = sum(end[tp] - start[tp] for tp in partitions)
            applied += await _drain(consumer, runner, partitions, end, progress)
            latest = await consumer.end_offsets(partitions)
            added = sum(latest[tp] - end[tp] for tp in partitions)
            end = latest
            if added < runner.limits.max_events:  # caught up with live traffic: take the rest and swap
                applied += await _drain(consumer, runner, partitions, end, progress)
                break
        await consumer.commit({tp: OffsetAndMetadata(end[tp], "") for tp in partitions})
        if progress:
            progress.close()
        return applied
    finally:
        await consumer.stop()


class Turns:
    """Partitions drained side by side take turns once two of their transactions conflicted (or from the start,
    ``Projection.take_turns``): a projection whose partitions' batches share documents (audit-figures' groups: the
    residents of one room in two partitions) then commits one batch at a time instead of retrying whole batches
    against each other, while the other partitions fetch. From the start is the default: on SecantusDB concurrent
    transactions over neighbouring keys are an order of magnitude slower than the same batches one at a time."""

    def __init__(self, taken: bool = False) -> None:
        self.taken = taken  #: from the start when the projection says so (``Projection.take_turns``)
        self._lock = asyncio.Lock()

    async def apply(self, runner: ProjectionRunner, pending: list[Any]) -> int:
        if not self.taken:
            return await runner.apply_batch(pending)
        async with self._lock:
            return await runner.apply_batch(pending)


def phases(runner: ProjectionRunner, partitions: list[TopicPartition]) -> list[list[TopicPartition]]:
    """The partitions of the sources the projection replays first (``Projection.replayed_first``, in that order),
    then all the others: each phase drained side by side. (Any order across topics gives the same read model.)"""
    source_of = dict(zip(runner.topics, runner.projection.sources))
    first = runner.projection.replayed_first
    ordered = [*([tp for tp in partitions if source_of.get(tp.topic) == source] for source in first),
               [tp for tp in partitions if source_of.get(tp.topic) not in first]]
    return [phase for phase in ordered if phase]


async def _drain(consumer: AIOKafkaConsumer, runner: ProjectionRunner, partitions: list[TopicPartition],
                 end: dict, progress: Progress | None) -> int:
    """Apply everything up to ``end``, phase by phase (``phases``): one task per partition, so one decodes while
    another waits on the database (a stream lives in one partition, so the partitions' batches never depend on each
    other), taking turns once they conflict (``Turns``)."""
    applied = 0
    for phase in phases(runner, partitions):
        turns = Turns(runner.projection.take_turns)
        applied += sum(await asyncio.gather(*(_drain_partition(consumer, runner, tp, end[tp], progress, turns)
                                              for tp in phase)))
    return applied


async def _drain_partition(consumer: AIOKafkaConsumer, runner: ProjectionRunner, tp: TopicPartition, end: int,
                           progress: Progress | None, turns: Turns | None = None) -> int:
    turns = turns or Turns()
    applied = 0
    pending: list[Any] = []
    failures = 0
    while pending or await consumer.position(tp) < end:
        if len(pending) < runner.limits.max_events:
            fetched = await consumer.getmany(tp, timeout_ms=0 if pending else 500,
                                             max_records=runner.limits.max_events - len(pending))
            pending.extend(record for record in fetched.get(tp, []) if record.offset < end)
        if not pending:
            continue
        try:
            settled = await turns.apply(runner, pending)
        except Exception as error:  # noqa: BLE001 - a transient conflict is retried with the same records
            # partitions replayed together conflict on shared documents (a projection's group documents); from
            # now on they take turns; on a loaded machine ten tries were not always enough: retry longer, jittered
            if not is_infrastructure(error) or failures >= MAX_CONFLICT_RETRIES:
                raise
            turns.taken = True
            failures += 1
            await asyncio.sleep(min(2.0, 0.1 * failures) * random.uniform(0.5, 1.5))
            continue
        failures = 0
        pending = pending[settled:]
        applied += settled
        if progress:
            progress.advance(settled)
    if await consumer.position(tp) > end:  # records fetched beyond ``end`` were not applied: read them next round
        consumer.seek(tp, end)
    return applied


async def _behind(consumer: AIOKafkaConsumer, partitions: list[TopicPartition], end: dict) -> bool:
    for tp in partitions:
        if await consumer.position(tp) < end[tp]:
            return True
    return False


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()  # noqa: SLF001 - aiokafka has no public refresh
    return consumer.partitions_for_topic(topic) or set()
