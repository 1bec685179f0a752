"""Read models fed by event topics: idempotent, gap-aware, never skipping.

Each event is applied in one MongoDB transaction together with the projection's checkpoint for its
stream (the last version applied). So a duplicate (version <= checkpoint) is dropped, a gap (version >
checkpoint + 1) is detected and never applied out of order, and a crash between the read-model write and
the offset commit only causes a harmless redelivery.

Offsets are committed by hand, only after the message was applied, dropped as a duplicate, or
dead-lettered. A failure that is the *message's* fault is retried a bounded number of times and then
published with its error to the dead-letter topic so the messages behind it still flow. A failure of the
*infrastructure* (MongoDB unreachable, dead-letter publish failing) rewinds the consumer to the same
message instead (FastStream ``nack`` = seek), so nothing is committed past an unapplied message -- the trap
described in FastStream issues #2618 and #1980, where an unacked failure is later committed over by the
next successful message.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import structlog
from aiokafka import AIOKafkaProducer
from pydantic import ValidationError
from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure, OperationFailure

from contracts.envelope import EventEnvelope
from contracts.events import DomainEvent, upcast
from contracts.topics import dead_letter_topic, events_topic
from services.kernel.logging import get_logger
from services.kernel.metrics import DEAD_LETTERS, PROJECTION_APPLY, PROJECTION_OUTCOMES
from services.kernel.settings import Settings

log = get_logger(__name__)


class VersionGap(Exception):
    """An event arrived whose predecessor was never applied: applying it would corrupt the read model."""


class Undecodable(Exception):
    """A message that is not a valid envelope: no retry can fix it."""


@dataclass
class ProjectionTx:
    """What a handler gets: the event, and collections bound to the running transaction's generation."""

    envelope: EventEnvelope
    session: AsyncClientSession
    db: AsyncDatabase
    generation: int

    def collection(self, logical_name: str) -> AsyncCollection:
        return self.db[physical_name(logical_name, self.generation)]


Handler = Callable[[ProjectionTx], Awaitable[None]]


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
        self.indexes: list[tuple[str, list[tuple[str, Any]], dict[str, Any]]] = []

    def handles(self, *event_types: type[DomainEvent]) -> Callable[[Handler], Handler]:
        """Register ``handler`` for these event classes (classes, not strings: a typo fails at import)."""
        for event_type in event_types:
            if not (isinstance(event_type, type) and issubclass(event_type, DomainEvent)):
                raise TypeError(f"{self.name}: handles() takes DomainEvent classes, got {event_type!r}")
            if event_type.event_type() in self.handlers:
                raise ValueError(f"{self.name}: {event_type.event_type()} already has a handler")

        def register(handler: Handler) -> Handler:
            for event_type in event_types:
                self.handlers[event_type.event_type()] = handler
            return handler

        return register

    def index(self, collection: str, keys: list[tuple[str, Any]], **options: Any) -> None:
        self.indexes.append((collection, keys, options))

    def checkpoint_collection(self, generation: int) -> str:
        return physical_name(f"{self.name}.checkpoints", generation)


class ProjectionRunner:
    """Applies one projection's events; the FastStream subscriber delegates every message here."""

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
        self.checkpoints = db[projection.checkpoint_collection(generation)]

    @classmethod
    def for_settings(cls, projection: Projection, client: AsyncMongoClient, db: AsyncDatabase,
                     producer: AIOKafkaProducer, settings: Settings, generation: int) -> "ProjectionRunner":
        """The runner the service and a rebuild both use: same retries, same dead letters, same groups."""
        return cls(projection, client, db, producer, settings.namespace, generation=generation,
                   max_attempts=settings.projection_max_attempts,
                   retry_backoff_seconds=settings.projection_retry_backoff_seconds,
                   session_timeout_ms=settings.consumer_session_timeout_ms,
                   heartbeat_interval_ms=settings.consumer_heartbeat_interval_ms)

    @property
    def topics(self) -> list[str]:
        return [events_topic(source, self.namespace) for source in self.projection.sources]

    @property
    def group_id(self) -> str:
        return f"{self.namespace}.{self.projection.name}.g{self.generation}"

    @property
    def dead_letter_topic(self) -> str:
        return dead_letter_topic(self.projection.name, self.namespace)

    async def ensure_indexes(self) -> None:
        for logical, keys, options in self.projection.indexes:
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
        return checkpoint["version"] if checkpoint else 0

    async def handle_record(self, value: bytes, key: bytes | None, headers: list[tuple[str, bytes]],
                            topic: str, partition: int, offset: int) -> str:
        """Apply, drop or dead-letter one record. Raises ConnectionFailure-like errors to ask for a rewind."""
        header_map = {name: raw.decode(errors="replace") for name, raw in headers or []}
        structlog.contextvars.bind_contextvars(
            correlation_id=header_map.get("correlation_id"), stream_id=header_map.get("stream_id"),
            projection=self.projection.name,
        )
        try:
            try:
                envelope = decode(value)
            except Undecodable as error:
                await self.dead_letter(value, key, headers, topic, partition, offset, "undecodable", error)
                return "dead_lettered"
            error: Exception | None = None
            for attempt in range(1, self.max_attempts + 1):
                try:
                    outcome = await self._apply_once(envelope)
                    PROJECTION_OUTCOMES.labels(self.projection.name, outcome).inc()
                    log.info("event " + outcome, event_type=envelope.event_type, version=envelope.version,
                             event_id=str(envelope.event_id), topic=topic, partition=partition, offset=offset)
                    return outcome
                except ConnectionFailure:
                    raise
                except OperationFailure as failure:
                    if failure.has_error_label("TransientTransactionError"):
                        raise
                    error = failure
                except VersionGap as gap:
                    error = gap
                    break
                except Exception as failure:  # noqa: BLE001 - a handler bug must not stop the stream
                    error = failure
                log.warning("apply failed", attempt=attempt, error=repr(error), event_type=envelope.event_type)
                await asyncio.sleep(self.retry_backoff_seconds * attempt)
            reason = "gap" if isinstance(error, VersionGap) else "failed"
            await self.dead_letter(value, key, headers, topic, partition, offset, reason, error)
            return "dead_lettered"
        finally:
            structlog.contextvars.unbind_contextvars("correlation_id", "stream_id", "projection")

    async def _apply_once(self, envelope: EventEnvelope) -> str:
        started = time.perf_counter()
        async with self.client.start_session() as session:
            async with await session.start_transaction():
                checkpoint = await self.checkpoints.find_one({"_id": envelope.stream_id}, session=session)
                last = checkpoint["version"] if checkpoint else 0
                if envelope.version <= last:
                    return "duplicate"
                if envelope.version != last + 1:
                    raise VersionGap(
                        f"{envelope.stream_id}: got version {envelope.version}, last applied {last}"
                    )
                handler = self.projection.handlers.get(envelope.event_type)
                if handler is not None:
                    await handler(ProjectionTx(envelope, session, self.db, self.generation))
                await self.checkpoints.update_one(
                    {"_id": envelope.stream_id}, {"$set": {"version": envelope.version}},
                    upsert=True, session=session,
                )
        PROJECTION_APPLY.labels(self.projection.name).observe(time.perf_counter() - started)
        return "applied"

    async def dead_letter(self, value: bytes, key: bytes | None, headers: list[tuple[str, bytes]], topic: str,
                          partition: int, offset: int, reason: str, error: BaseException | None) -> None:
        """Park the original bytes with where they came from and why; acks=all before we move on."""
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
