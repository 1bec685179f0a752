"""Read models fed by event topics: idempotent, gap-aware, never skipping, applied in batches.

What one poll returns (capped by count, bytes and time, well inside the server's transaction lifetime) is
applied in ONE MongoDB transaction together with the projection's checkpoints (last version applied per
stream): checkpoints read once for the batch's streams, handlers in order with their writes queued and sent
as one bulk write per collection (a read flushes first, so a handler sees the batch's earlier writes),
checkpoints written once. So a duplicate (version <= checkpoint) is dropped, a gap (version > checkpoint +
1) is never applied out of order, and a crash between the commit and the offset commit only causes a
harmless redelivery. Anything unusual in a batch (a handler error, a gap, a parked stream) aborts it, and
the same records are replayed one event at a time through the retry and dead-letter path below.

Offsets are committed by hand, only after the message was applied, dropped as a duplicate, or
dead-lettered. A failure that is the *message's* fault is retried a bounded number of times and then
published with its error to the dead-letter topic so the messages behind it still flow. A failure of the
*infrastructure* (MongoDB unreachable, dead-letter publish failing) rewinds the consumer to the same
batch start instead, so nothing is committed past an unapplied message (the trap described in FastStream
issues #2618 and #1980). A dead-lettered event also *parks* its stream (services.kernel.messaging.deadletters): the
events behind it are parked in order rather than dead-lettered one by one, and ``ybss dlt redrive``
re-applies them once the cause is fixed.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Sequence

import structlog
from aiokafka import AIOKafkaProducer
from pydantic import ValidationError
from pymongo import AsyncMongoClient, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure, OperationFailure

from contracts.envelope import EventEnvelope
from contracts.events import DomainEvent, upcast
from contracts.topics import dead_letter_topic, events_topic
from services.kernel.base.logging import get_logger
from services.kernel.base.metrics import (DEAD_LETTERS, PROJECTION_APPLY, PROJECTION_BATCH_SIZE,
                                     PROJECTION_BATCHES, PROJECTION_OUTCOMES)
from services.kernel.base.settings import Settings
from services.kernel.messaging.writebuffer import BufferedCollection, WriteBuffer

log = get_logger(__name__)


class VersionGap(Exception):
    """An event arrived whose predecessor was never applied: applying it would corrupt the read model."""


class Undecodable(Exception):
    """A message that is not a valid envelope: no retry can fix it."""


class BatchFallback(Exception):
    """Something in the batch needs the one-event-at-a-time path (a gap, a parked stream)."""


@dataclass
class ProjectionTx:
    """What a handler gets: the event, and collections bound to the running transaction's generation."""

    envelope: EventEnvelope
    session: AsyncClientSession
    db: AsyncDatabase
    generation: int
    buffer: WriteBuffer | None = field(default=None, repr=False)

    def collection(self, logical_name: str) -> AsyncCollection:
        collection = _collection(self.db, physical_name(logical_name, self.generation))
        return BufferedCollection(collection, self.buffer) if self.buffer is not None else collection  # type: ignore[return-value]


Handler = Callable[[ProjectionTx], Awaitable[None]]


_COLLECTIONS: dict[tuple[int, str], AsyncCollection] = {}


def _collection(db: AsyncDatabase, name: str) -> AsyncCollection:
    """Building a pymongo collection object costs more than a handler's whole write: keep them."""
    key = (id(db), name)
    collection = _COLLECTIONS.get(key)
    if collection is None or collection.database is not db:
        if len(_COLLECTIONS) > 1000:
            _COLLECTIONS.clear()
        collection = _COLLECTIONS[key] = db[name]
    return collection


def physical_name(logical_name: str, generation: int) -> str:
    """Read-model collections carry their generation so a rebuild can fill a fresh one beside the live one."""
    return f"{logical_name}__g{generation}"


class Projection:
    """A named read model: which contexts' topics it reads and what each event type does to it."""

    def __init__(self, name: str, sources: list[str], collections: list[str]) -> None:
        self.name = name
        self.sources = sources
        self.collections = collections
        self.handlers: dict[str, Handler] = {}
        self.large: set[str] = set()
        self.indexes: list[tuple[str, list[tuple[str, Any]], dict[str, Any]]] = []
        self.prefetches: list[tuple[str, Callable[[EventEnvelope], Any]]] = []

    def handles(self, *event_types: type[DomainEvent], large: bool = False) -> Callable[[Handler], Handler]:
        """Register ``handler`` for these event classes (classes, not strings: a typo fails at import).

        ``large=True``: the handler writes more than one transaction may hold (it writes outside it, idempotently),
        so a batch is split around such an event and it is applied on its own.
        """
        for event_type in event_types:
            if not (isinstance(event_type, type) and issubclass(event_type, DomainEvent)):
                raise TypeError(f"{self.name}: handles() takes DomainEvent classes, got {event_type!r}")
            if event_type.event_type() in self.handlers:
                raise ValueError(f"{self.name}: {event_type.event_type()} already has a handler")

        def register(handler: Handler) -> Handler:
            for event_type in event_types:
                self.handlers[event_type.event_type()] = handler
                if large:
                    self.large.add(event_type.event_type())
            return handler

        return register

    def prefetch(self, collection: str, document_id: Callable[[EventEnvelope], Any]) -> None:
        """Read ``collection``'s documents ``document_id(event)`` (None: none) for a whole batch in one query
        before its handlers run, so a handler's ``find_one({"_id": ...})`` of each costs no round trip (a handler
        that reads the document it is about to update, once per event, would otherwise cost one per event)."""
        self.prefetches.append((collection, document_id))

    def index(self, collection: str, keys: list[tuple[str, Any]], **options: Any) -> None:
        self.indexes.append((collection, keys, options))

    def checkpoint_collection(self, generation: int) -> str:
        return physical_name(f"{self.name}.checkpoints", generation)

    def parked_collection(self, generation: int) -> str:
        return physical_name(f"{self.name}.parked", generation)


@dataclass(frozen=True)
class BatchLimits:
    """How much one transaction may take: far inside SecantusDB's cache and its 10 s transaction lifetime."""

    max_events: int = 500
    max_bytes: int = 4 * 1024 * 1024
    max_seconds: float = 2.0


INFRASTRUCTURE_LABELS = ("TransientTransactionError", "UnknownTransactionCommitResult")


#: server codes that say "another transaction got there first / try again", with or without an error label
RETRYABLE_CODES = frozenset({112, 251, 262})  # WriteConflict, NoSuchTransaction, ExceededTimeLimit


def is_infrastructure(error: BaseException) -> bool:
    """Not the message's fault: rewind and try again instead of retrying it towards a dead letter. A write conflict
    with another partition's transaction is one of these however the server reports it (a bulk write inside a
    transaction may carry it as a write error without the label)."""
    if isinstance(error, ConnectionFailure):
        return True
    if not isinstance(error, OperationFailure):
        return False
    if any(error.has_error_label(label) for label in INFRASTRUCTURE_LABELS) or error.code in RETRYABLE_CODES:
        return True
    details = error.details if isinstance(error.details, dict) else {}
    return any(item.get("code") in RETRYABLE_CODES for item in details.get("writeErrors", []))


class ProjectionRunner:
    """Applies one projection's events; the partition workers hand it what each poll returned."""

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
        # A rebuild owns its fresh generation alone, so it keeps checkpoints in memory and writes them at the end.
        self.memory: dict[str, dict[str, Any]] | None = None
        # The live consumer remembers the checkpoints of the streams it applied (a partition's streams are its
        # worker's alone), saving the checkpoint read of most batches. Safe when stale (a redrive elsewhere, a
        # rebalance): every checkpoint write is guarded ("only forwards"), so a stale entry aborts its batch
        # instead of applying twice, and the batch is replayed one by one from the database's checkpoints.
        self.cache: dict[str, dict[str, Any]] = {}
        self.round_trips = 0

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

    async def ensure_indexes(self, unique_only: bool = False, skip_unique: bool = False) -> None:
        """Create the read model's indexes; a rebuild makes the secondary ones after its load."""
        await self.parked.create_index([("stream_id", 1), ("version", 1)], name="stream_order")
        for logical, keys, options in self.projection.indexes:
            unique = bool(options.get("unique"))
            if (unique_only and not unique) or (skip_unique and unique):
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
        checkpoint = await self.checkpoints.find_one({"_id": stream_id})
        return checkpoint.get("version", 0) if checkpoint else 0

    # ------------------------------------------------------------------ batches

    async def apply_batch(self, records: Sequence[Any], max_events: int | None = None) -> int:
        """Settle a prefix of ``records`` (aiokafka ConsumerRecords, one partition, in order); returns its length.

        Raises an infrastructure error (ConnectionFailure, transient transaction error, Kafka error) to ask the
        caller to rewind to ``records[0]``; nothing of the batch is then committed.
        """
        run: list[tuple[Any, EventEnvelope]] = []
        size = 0
        for record in records[:max_events or self.limits.max_events]:
            try:
                envelope = decode(record.value)
            except Undecodable:
                envelope = None
            if envelope is None or envelope.event_type in self.projection.large:
                if not run:  # on its own, through the one-at-a-time path
                    await self.handle_record(record.value, record.key, list(record.headers or []), record.topic,
                                             record.partition, record.offset)
                    return 1
                break
            size += len(record.value or b"")
            if run and size > self.limits.max_bytes:
                break
            run.append((record, envelope))
        started = time.perf_counter()
        try:
            settled = await self._apply_run(run)
        except Exception as error:  # noqa: BLE001 - sorted below: infrastructure rewinds, the rest goes one by one
            if is_infrastructure(error):
                raise
            log.info("batch aborted; replaying it one event at a time", projection=self.projection.name,
                     events=len(run), error=repr(error))
            PROJECTION_BATCHES.labels(self.projection.name, "replayed_singly").inc()
            for record, _ in run:
                await self.handle_record(record.value, record.key, list(record.headers or []), record.topic,
                                         record.partition, record.offset)
            return len(run)
        PROJECTION_BATCHES.labels(self.projection.name, "committed").inc()
        PROJECTION_BATCH_SIZE.labels(self.projection.name).observe(settled)
        PROJECTION_APPLY.labels(self.projection.name).observe((time.perf_counter() - started) / max(settled, 1))
        return settled

    async def _apply_run(self, run: list[tuple[Any, EventEnvelope]]) -> int:
        streams = list({envelope.stream_id for _, envelope in run})
        outcomes = {"applied": 0, "duplicate": 0}
        deadline = time.perf_counter() + self.limits.max_seconds
        settled = 0
        try:
            state = await self._apply_run_in_transaction(run, streams, outcomes, deadline)
        except BaseException:
            self.forget(streams)
            raise
        settled = outcomes.pop("settled")
        if self.memory is not None:
            self.memory.update({stream: state[stream] for stream in outcomes.pop("touched")})
        else:
            outcomes.pop("touched")
            self._remember(state)
        for outcome, count in outcomes.items():
            if count:
                PROJECTION_OUTCOMES.labels(self.projection.name, outcome).inc(count)
        return settled

    async def _apply_run_in_transaction(self, run: list[tuple[Any, EventEnvelope]], streams: list[str],
                                        outcomes: dict[str, Any], deadline: float) -> dict[str, dict[str, Any]]:
        settled = 0
        applied: list[tuple[Any, EventEnvelope]] = []
        async with self.client.start_session() as session:
            async with await session.start_transaction():
                buffer = WriteBuffer(session)
                state, trips = await self._load_checkpoints(streams, session, use_cache=True)
                trips += await self._read_ahead(run, buffer, session)
                before = {stream: checkpoint.get("version", 0) for stream, checkpoint in state.items()}
                touched: set[str] = set()
                for record, envelope in run:
                    if settled and time.perf_counter() > deadline:
                        break  # the rest waits for the next transaction
                    checkpoint = state.setdefault(envelope.stream_id, {})
                    last = checkpoint.get("version", 0)
                    settled += 1
                    if envelope.version <= last:
                        outcomes["duplicate"] += 1
                        continue
                    if checkpoint.get("parked") or envelope.version != last + 1:
                        raise BatchFallback(f"{envelope.stream_id} v{envelope.version}: gap or parked stream")
                    handler = self.projection.handlers.get(envelope.event_type)
                    if handler is not None:
                        await handler(ProjectionTx(envelope, session, self.db, self.generation, buffer))
                    checkpoint["version"] = envelope.version
                    touched.add(envelope.stream_id)
                    outcomes["applied"] += 1
                    applied.append((record, envelope))
                self._queue_checkpoints(buffer, state, touched, before)
                trips += await buffer.flush()
                self.round_trips += trips + 1  # + the commit
        outcomes["settled"], outcomes["touched"] = settled, touched
        for record, envelope in applied if self.memory is None else ():  # live, committed: one line per event
            log.info("event applied", event_type=envelope.event_type, version=envelope.version,
                     event_id=str(envelope.event_id), stream_id=envelope.stream_id,
                     correlation_id=envelope.correlation_id, projection=self.projection.name,
                     topic=record.topic, partition=record.partition, offset=record.offset)
        return state

    async def _read_ahead(self, run: list[tuple[Any, EventEnvelope]], buffer: WriteBuffer,
                          session: AsyncClientSession) -> int:
        """The documents the projection's handlers will read by id (Projection.prefetch), one query each."""
        trips = 0
        for logical_name, document_id in self.projection.prefetches:
            ids = list({key for _, envelope in run if (key := document_id(envelope)) is not None})
            if ids:
                collection = _collection(self.db, physical_name(logical_name, self.generation))
                found = {doc["_id"]: doc async for doc in collection.find({"_id": {"$in": ids}}, session=session)}
                buffer.read_ahead(collection.name, {key: found.get(key) for key in ids})
                trips += 1
        return trips

    async def _load_checkpoints(self, streams: list[str], session: AsyncClientSession,
                                use_cache: bool = False) -> tuple[dict[str, dict[str, Any]], int]:
        """The streams' checkpoints (copies), and how many round trips that took."""
        if self.memory is not None:
            return {stream: dict(self.memory[stream]) for stream in streams if stream in self.memory}, 0
        state = {stream: dict(self.cache[stream]) for stream in streams if use_cache and stream in self.cache}
        missing = [stream for stream in streams if stream not in state]
        if not missing:
            return state, 0
        cursor = self.checkpoints.find({"_id": {"$in": missing}}, session=session)
        async for document in cursor:
            state[document["_id"]] = document
        for stream in missing:
            state.setdefault(stream, {})
        return state, 1

    def _queue_checkpoints(self, buffer: WriteBuffer, state: dict[str, dict[str, Any]], streams: set[str],
                           before: dict[str, int]) -> None:
        """Compare-and-set: a checkpoint moves only from the version the batch started from. A write based on a
        stale checkpoint matches nothing, its upsert collides with the existing document, and the transaction
        aborts instead of applying an event twice."""
        if self.memory is not None:
            return
        for stream in streams:
            started = before.get(stream, 0)
            expected = {"version": started} if started else {"version": {"$exists": False}}
            buffer.add(self.checkpoints, UpdateOne({"_id": stream, **expected},
                                                   {"$set": {"version": state[stream]["version"]}}, upsert=True))

    def _remember(self, state: dict[str, dict[str, Any]]) -> None:
        if len(self.cache) > 200_000:
            self.cache.clear()
        self.cache.update(state)

    def forget(self, streams: list[str] | None = None) -> None:
        """Drop remembered checkpoints (all of them after a rebalance: another consumer may have moved them)."""
        if streams is None:
            self.cache.clear()
        for stream in streams or []:
            self.cache.pop(stream, None)

    async def write_memory_checkpoints(self) -> None:
        """End of a rebuild: the in-memory checkpoints become the generation's checkpoints, in bulk."""
        if not self.memory:
            return
        operations = [UpdateOne({"_id": stream}, {"$set": state}, upsert=True) for stream, state in self.memory.items()]
        for start in range(0, len(operations), 5000):
            await self.checkpoints.bulk_write(operations[start:start + 5000], ordered=False)

    # ------------------------------------------------------------------ one event at a time

    async def handle_record(self, value: bytes, key: bytes | None, headers: list[tuple[str, bytes]],
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
                    outcome = await self._apply_once(envelope, value, key, headers, source)
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

    async def _apply_once(self, envelope: EventEnvelope, value: bytes | None = None, key: bytes | None = None,
                          headers: list[tuple[str, bytes]] | None = None, source: dict | None = None,
                          redrive: bool = False) -> str:
        """One event in one transaction. A parked stream parks the event behind its cause (unless redriving)."""
        from services.kernel.messaging.deadletters import park_in_transaction

        started = time.perf_counter()
        async with self.client.start_session() as session:
            async with await session.start_transaction():
                buffer = WriteBuffer(session)
                self.forget([envelope.stream_id])
                state, trips = await self._load_checkpoints([envelope.stream_id], session)
                checkpoint = state.setdefault(envelope.stream_id, {})
                last = checkpoint.get("version", 0)
                if envelope.version <= last:
                    return "duplicate"
                if checkpoint.get("parked") and not redrive:
                    await park_in_transaction(self, session, envelope, value, key, headers, source, "behind", None)
                    return "parked"
                if envelope.version != last + 1:
                    raise VersionGap(f"{envelope.stream_id}: got version {envelope.version}, last applied {last}")
                handler = self.projection.handlers.get(envelope.event_type)
                if handler is not None:
                    await handler(ProjectionTx(envelope, session, self.db, self.generation, buffer))
                checkpoint["version"] = envelope.version
                self._queue_checkpoints(buffer, state, {envelope.stream_id}, {envelope.stream_id: last})
                trips += await buffer.flush()
                self.round_trips += trips + 1
        if self.memory is not None:
            self.memory[envelope.stream_id] = checkpoint
        PROJECTION_APPLY.labels(self.projection.name).observe(time.perf_counter() - started)
        return "applied"

    async def dead_letter(self, value: bytes, key: bytes | None, headers: list[tuple[str, bytes]], topic: str,
                          partition: int, offset: int, reason: str, error: BaseException | None,
                          envelope: EventEnvelope | None = None) -> None:
        """Publish the original bytes with where they came from and why (acks=all), then park its stream."""
        from services.kernel.messaging.deadletters import park

        extra = [
            ("dlt_reason", reason.encode()),
            ("dlt_error", repr(error).encode()[:4000]),
            ("dlt_projection", self.projection.name.encode()),
            ("dlt_source_topic", topic.encode()),
            ("dlt_source_partition", str(partition).encode()),
            ("dlt_source_offset", str(offset).encode()),
        ]
        await self.producer.send_and_wait(
            self.dead_letter_topic, value=value, key=key, headers=list(headers or []) + extra
        )
        await park(self, envelope, value, key, headers, {"topic": topic, "partition": partition, "offset": offset},
                   reason, error)
        DEAD_LETTERS.labels(self.projection.name, reason).inc()
        PROJECTION_OUTCOMES.labels(self.projection.name, "dead_lettered").inc()
        log.error("event dead-lettered", reason=reason, error=repr(error), topic=topic, partition=partition,
                  offset=offset, dead_letter_topic=self.dead_letter_topic)

def decode(value: bytes) -> EventEnvelope:
    try:
        envelope = EventEnvelope.from_bytes(value)
    except (ValidationError, ValueError) as error:
        raise Undecodable(str(error)) from error
    version, payload = upcast(envelope.event_type, envelope.schema_version, envelope.payload)
    if version != envelope.schema_version:
        envelope = envelope.model_copy(update={"schema_version": version, "payload": payload})
    return envelope
