"""Dead letters and parked events (死信与停放): an event no retry could apply goes to the projection's
dead-letter topic with why, and its stream is *parked* with it: the events behind it wait here, in order,
instead of each becoming a dead letter.

Today's rule "never apply an event after a gap" is kept, but a gap no longer freezes a stream for good:
``ybss dlt list`` shows what is parked and ``ybss dlt redrive`` (services.kernel.messaging.redrive) re-applies
it once the cause is fixed. The park writes the stream's checkpoint inside a transaction, so a live consumer
parking a new event and a redrive finishing the stream conflict instead of losing that event.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from contracts.envelope import EventEnvelope
from services.kernel.base.logging import get_logger
from services.kernel.base.metrics import DEAD_LETTERS, PARKED_EVENTS, PROJECTION_OUTCOMES
from services.kernel.messaging.checkpoints import Checkpoints

log = get_logger(__name__)

Headers = list[tuple[str, bytes]]


def _document(envelope: EventEnvelope | None, value: bytes | None, key: bytes | None, headers: Headers | None,
              source: dict | None, reason: str, error: BaseException | None) -> dict[str, Any]:
    source = source or {}
    return {
        "stream_id": envelope.stream_id if envelope else None,
        "version": envelope.version if envelope else None,
        "event_type": envelope.event_type if envelope else None,
        "event_id": str(envelope.event_id) if envelope else None,
        "reason": reason,
        "error": repr(error)[:4000] if error is not None else None,
        "value": value if value is not None else (envelope.to_bytes() if envelope else b""),
        "key": key,
        "headers": [[name, raw] for name, raw in headers or []],
        "source": source,
        "parked_at": datetime.now(timezone.utc),
        "attempts": 0,
    }


def _parked_id(envelope: EventEnvelope | None, source: dict | None) -> str:
    if envelope is not None:
        return f"{envelope.stream_id}@{envelope.version:012d}"
    source = source or {}
    return f"undecodable:{source.get('topic')}/{source.get('partition')}/{source.get('offset')}"


class DeadLetters:
    """One projection generation's dead-letter topic and parking lot."""

    def __init__(self, projection: str, client: AsyncMongoClient, producer: AIOKafkaProducer, topic: str,
                 parked: AsyncCollection, checkpoints: Checkpoints) -> None:
        self.projection = projection
        self.client = client
        self.producer = producer
        self.topic = topic
        self.parked = parked
        self.checkpoints = checkpoints

    async def park_in_transaction(self, session: AsyncClientSession | None, envelope: EventEnvelope | None,
                                  value: bytes | None, key: bytes | None, headers: Headers | None,
                                  source: dict | None, reason: str, error: BaseException | None) -> None:
        """Record the event as parked (first reason wins on redelivery) and mark its stream parked."""
        document = _document(envelope, value, key, headers, source, reason, error)
        await self.parked.update_one({"_id": _parked_id(envelope, source)}, {"$setOnInsert": document},
                                     upsert=True, session=session)
        if envelope is not None:
            await self.checkpoints.mark_parked(envelope.stream_id, session)
        PARKED_EVENTS.labels(self.projection, reason).inc()

    async def park(self, envelope: EventEnvelope | None, value: bytes | None, key: bytes | None,
                   headers: Headers | None, source: dict | None, reason: str, error: BaseException | None) -> None:
        async with self.client.start_session() as session:
            async with await session.start_transaction():
                await self.park_in_transaction(session, envelope, value, key, headers, source, reason, error)

    async def send(self, value: bytes, key: bytes | None, headers: Headers, topic: str, partition: int, offset: int,
                   reason: str, error: BaseException | None, envelope: EventEnvelope | None = None) -> None:
        """Publish the original bytes with where they came from and why (acks=all), then park its stream."""
        extra = [
            ("dlt_reason", reason.encode()),
            ("dlt_error", repr(error).encode()[:4000]),
            ("dlt_projection", self.projection.encode()),
            ("dlt_source_topic", topic.encode()),
            ("dlt_source_partition", str(partition).encode()),
            ("dlt_source_offset", str(offset).encode()),
        ]
        await self.producer.send_and_wait(self.topic, value=value, key=key, headers=list(headers or []) + extra)
        await self.park(envelope, value, key, headers, {"topic": topic, "partition": partition, "offset": offset},
                        reason, error)
        DEAD_LETTERS.labels(self.projection, reason).inc()
        PROJECTION_OUTCOMES.labels(self.projection, "dead_lettered").inc()
        log.error("event dead-lettered", reason=reason, error=repr(error), topic=topic, partition=partition,
                  offset=offset, dead_letter_topic=self.topic)
