"""Applies one projection's events (投影运行器): idempotent, gap-aware, never skipping, applied in batches.

The partition workers (consumers) and a rebuild hand it what each poll returned. A batch goes through
``Batches`` (one transaction with its checkpoints); anything unusual in it (a handler error, a gap, a parked
stream) aborts it and the same records are replayed one event at a time here, through the retry and
dead-letter path. Offsets are committed by the caller, only after the message was applied, dropped as a
duplicate, or dead-lettered. A failure that is the *message's* fault is retried a bounded number of times and
then dead-lettered (``DeadLetters``), which parks its stream so the messages behind it still flow. A failure of
the *infrastructure* (MongoDB unreachable, dead-letter publish failing) is raised so the caller rewinds to the
batch start, and nothing is committed past an unapplied message (the trap of FastStream issues #2618 and
#1980). A crash between the commit and the offset commit only causes a harmless redelivery.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Sequence

import structlog
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from contracts.envelope import EventEnvelope
from contracts.topics import dead_letter_topic, events_topic
from services.kernel.base.logging import get_logger
from services.kernel.base.metrics import PROJECTION_APPLY, PROJECTION_BATCH_SIZE, PROJECTION_BATCHES, PROJECTION_OUTCOMES
from services.kernel.base.settings import Settings
from services.kernel.messaging.batching import BatchLimits, Batches, take_run
from services.kernel.messaging.checkpoints import Checkpoints, standing
from services.kernel.messaging.deadletters import DeadLetters, Headers
from services.kernel.messaging.decoding import Undecodable, decode
from services.kernel.messaging.failures import VersionGap, is_infrastructure, is_too_large
from services.kernel.messaging.projection import Projection, ProjectionTx, physical_name
from services.kernel.messaging.writebuffer import WriteBuffer

log = get_logger(__name__)


class ProjectionRunner:
    """One projection generation's batches, checkpoints and dead letters, run for its partition workers."""

    def __init__(
        self,
        projection: Projection,
        client: AsyncMongoClient,
        db: AsyncDatabase,
        producer: AIOKafkaProducer,
        namespace: str,
        generation: int = 1,
        max_attempts: int = 3,
        retry_backoff_seconds: float = 0.05,
        session_timeout_ms: int = 6000,
        heartbeat_interval_ms: int = 2000,
        limits: BatchLimits = BatchLimits(),
    ) -> None:
        self.projection = projection
        self.client = client
        self.db = db
        self.producer = producer
        self.namespace = namespace
        self.generation = generation
        self.max_attempts = max_attempts
        self.retry_backoff_seconds = retry_backoff_seconds
        self.session_timeout_ms = session_timeout_ms
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.limits = limits
        self.checkpoints = db[projection.checkpoint_collection(generation)]
        self.parked = db[projection.parked_collection(generation)]
        self.stream_checkpoints = Checkpoints(self.checkpoints)
        self.batches = Batches(projection, client, db, generation, self.stream_checkpoints, limits)
        self.dead_letters = DeadLetters(projection.name, client, producer, self.dead_letter_topic, self.parked,
                                        self.stream_checkpoints)
        self.single_round_trips = 0
        #: the largest batch the server took in one transaction, once one was too large (None: the limits')
        self.transaction_cap: int | None = None

    @classmethod
    def for_settings(cls, projection: Projection, client: AsyncMongoClient, db: AsyncDatabase,
                     producer: AIOKafkaProducer, settings: Settings, generation: int,
                     limits: BatchLimits | None = None) -> "ProjectionRunner":
        """The runner the service and a rebuild both use: same retries, same dead letters, same groups. Live
        batch limits come from the settings (``YBSS_PROJECTION_BATCH_*``); a rebuild passes its own."""
        limits = limits or BatchLimits(max_events=settings.projection_batch_max_events,
                                       max_bytes=settings.projection_batch_max_bytes,
                                       max_seconds=settings.projection_batch_max_seconds)
        return cls(projection, client, db, producer, settings.namespace, generation=generation,
                   max_attempts=settings.projection_max_attempts,
                   retry_backoff_seconds=settings.projection_retry_backoff_seconds,
                   session_timeout_ms=settings.consumer_session_timeout_ms,
                   heartbeat_interval_ms=settings.consumer_heartbeat_interval_ms, limits=limits)

    @property
    def topics(self) -> list[str]:
        return [events_topic(source, self.namespace) for source in self.projection.sources]

    @property
    def group_id(self) -> str:
        return f"{self.namespace}.{self.projection.name}.g{self.generation}"

    @property
    def dead_letter_topic(self) -> str:
        return dead_letter_topic(self.projection.name, self.namespace)

    @property
    def memory(self) -> dict[str, dict[str, Any]] | None:
        """A rebuild's in-memory checkpoints (it owns its fresh generation alone); None for the live consumer."""
        return self.stream_checkpoints.memory

    @memory.setter
    def memory(self, value: dict[str, dict[str, Any]] | None) -> None:
        self.stream_checkpoints.memory = value

    @property
    def cache(self) -> dict[str, dict[str, Any]]:
        """The live consumer's remembered checkpoints (services.kernel.messaging.checkpoints)."""
        return self.stream_checkpoints.cache

    @property
    def round_trips(self) -> int:
        return self.batches.round_trips + self.single_round_trips

    async def ensure_indexes(self, unique_only: bool = False, skip_unique: bool = False) -> None:
        """Create the read model's indexes; a rebuild makes the secondary ones after its load (except those the
        handlers query: they are made first, with the unique ones)."""
        await self.parked.create_index([("stream_id", 1), ("version", 1)], name="stream_order")
        for position, (logical, keys, options) in enumerate(self.projection.indexes):
            early = bool(options.get("unique")) or position in self.projection.early_indexes
            if (unique_only and not early) or (skip_unique and early):
                continue
            collection = self.db[physical_name(logical, self.generation)]
            try:
                await collection.create_index(keys, **options)
            except OperationFailure as error:
                # 85/86: an index on the same keys exists with options the server spells differently
                # (SecantusDB answers so for an existing 2dsphere index); the index we need is there.
                if error.code not in (85, 86):
                    raise

    async def applied_version(self, stream_id: str) -> int:
        return await self.stream_checkpoints.version(stream_id)

    def forget(self, streams: list[str] | None = None) -> None:
        """Drop remembered checkpoints (all of them after a rebalance: another consumer may have moved them)."""
        self.stream_checkpoints.forget(streams)

    async def write_memory_checkpoints(self) -> None:
        """End of a rebuild: the in-memory checkpoints become the generation's checkpoints, in bulk."""
        await self.stream_checkpoints.write_memory()

    async def apply_batch(self, records: Sequence[Any], max_events: int | None = None) -> int:
        """Settle a prefix of ``records`` (aiokafka ConsumerRecords, one partition, in order); returns its length.

        Raises an infrastructure error (ConnectionFailure, transient transaction error, Kafka error) to ask the
        caller to rewind to ``records[0]``; nothing of the batch is then committed.
        """
        limit = min(max_events or self.limits.max_events, self.transaction_cap or self.limits.max_events)
        run, alone = take_run(records, limit, self.limits.max_bytes, self.projection.large)
        if alone is not None:  # on its own, through the one-at-a-time path
            await self._handle(alone)
            return 1
        started = time.perf_counter()
        try:
            settled = await self.batches.apply(run)
        except Exception as error:  # noqa: BLE001 - sorted below: infrastructure rewinds, the rest goes one by one
            if is_infrastructure(error):
                raise
            if is_too_large(error) and len(run) > 1:  # halve it, and keep the smaller size for this runner
                self.transaction_cap = len(run) // 2
                log.info("batch too large for one transaction; halved", projection=self.projection.name,
                         events=len(run), now=self.transaction_cap)
                return await self.apply_batch(records, max_events)
            log.info("batch aborted; replaying it one event at a time", projection=self.projection.name,
                     events=len(run), error=repr(error))
            PROJECTION_BATCHES.labels(self.projection.name, "replayed_singly").inc()
            for record, _ in run:
                await self._handle(record)
            return len(run)
        PROJECTION_BATCHES.labels(self.projection.name, "committed").inc()
        PROJECTION_BATCH_SIZE.labels(self.projection.name).observe(settled)
        PROJECTION_APPLY.labels(self.projection.name).observe((time.perf_counter() - started) / max(settled, 1))
        return settled

    async def _handle(self, record: Any) -> str:
        return await self.handle_record(record.value, record.key, list(record.headers or []), record.topic,
                                        record.partition, record.offset)

    async def handle_record(self, value: bytes, key: bytes | None, headers: Headers,
                            topic: str, partition: int, offset: int) -> str:
        """Apply, drop, park or dead-letter one record. Raises infrastructure errors to ask for a rewind."""
        header_map = {name: raw.decode(errors="replace") for name, raw in headers or []}
        structlog.contextvars.bind_contextvars(
            correlation_id=header_map.get("correlation_id"), stream_id=header_map.get("stream_id"),
            projection=self.projection.name,
        )
        source = {"topic": topic, "partition": partition, "offset": offset}
        try:
            try:
                envelope = decode(value)
            except Undecodable as error:
                await self.dead_letter(value, key, headers, topic, partition, offset, "undecodable", error)
                return "dead_lettered"
            error: Exception | None = None
            for attempt in range(1, self.max_attempts + 1):
                try:
                    outcome = await self.apply_one(envelope, value, key, headers, source)
                    PROJECTION_OUTCOMES.labels(self.projection.name, outcome).inc()
                    log.info("event " + outcome, event_type=envelope.event_type, version=envelope.version,
                             event_id=str(envelope.event_id), topic=topic, partition=partition, offset=offset)
                    return outcome
                except VersionGap as gap:
                    error = gap
                    break
                except Exception as failure:  # noqa: BLE001 - a handler bug must not stop the stream
                    if is_infrastructure(failure):
                        raise
                    error = failure
                log.warning("apply failed", attempt=attempt, error=repr(error), event_type=envelope.event_type)
                await asyncio.sleep(self.retry_backoff_seconds * attempt)
            reason = "gap" if isinstance(error, VersionGap) else "failed"
            await self.dead_letter(value, key, headers, topic, partition, offset, reason, error, envelope)
            return "dead_lettered"
        finally:
            structlog.contextvars.unbind_contextvars("correlation_id", "stream_id", "projection")

    async def apply_one(self, envelope: EventEnvelope, value: bytes | None = None, key: bytes | None = None,
                        headers: Headers | None = None, source: dict | None = None, redrive: bool = False) -> str:
        """One event in one transaction. A parked stream parks the event behind its cause (unless redriving)."""
        started = time.perf_counter()
        checkpoints = self.stream_checkpoints
        async with self.client.start_session() as session:
            async with await session.start_transaction():
                buffer = WriteBuffer(session)
                checkpoints.forget([envelope.stream_id])
                state, trips = await checkpoints.load([envelope.stream_id], session)
                checkpoint = state.setdefault(envelope.stream_id, {})
                last = checkpoint.get("version", 0)
                where = standing(checkpoint, envelope.version, redrive)
                if where == "duplicate":
                    return "duplicate"
                if where == "parked":
                    await self.dead_letters.park_in_transaction(session, envelope, value, key, headers, source,
                                                                "behind", None)
                    return "parked"
                if where == "gap":
                    raise VersionGap(f"{envelope.stream_id}: got version {envelope.version}, last applied {last}")
                await self.projection.apply(ProjectionTx(envelope, session, self.db, self.generation, buffer,
                                                         (source or {}).get("partition")))
                checkpoint["version"] = envelope.version
                checkpoints.queue(buffer, state, {envelope.stream_id}, {envelope.stream_id: last})
                trips += await buffer.flush()
                self.single_round_trips += trips + 1
        if checkpoints.memory is not None:
            checkpoints.memory[envelope.stream_id] = checkpoint
        PROJECTION_APPLY.labels(self.projection.name).observe(time.perf_counter() - started)
        return "applied"

    async def dead_letter(self, value: bytes, key: bytes | None, headers: Headers, topic: str, partition: int,
                          offset: int, reason: str, error: BaseException | None,
                          envelope: EventEnvelope | None = None) -> None:
        """Publish the original bytes with where they came from and why (acks=all), then park its stream."""
        await self.dead_letters.send(value, key, headers, topic, partition, offset, reason, error, envelope)
