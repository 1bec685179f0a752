"""The relay's parking lot (停放区): an event Kafka cannot take waits here instead of freezing the relay.

An event whose record is larger than the topic accepts (the topic's ``max.message.bytes``, or the producer's
``max_request_size``) is parked *before* it is sent: a refused record would break the idempotent producer's
sequence for its partition (every later send answers OutOfOrderSequenceNumber), so the check is made first.
One document per parked event in ``relay_parked`` (the context's database) is the flag. The relay skips the
parked event's whole stream, so a stream's later events wait behind it (per-stream order is the outbox's
promise; consumers would see a gap otherwise) while every other stream keeps flowing. ``ybss relay parked
republish`` releases an event once it fits (the broker's limit raised, or the event shrunk): the relay then
publishes it and the events that waited behind it, in order; the relay stays the only publisher (its lease
fences every send).
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from prometheus_client import Counter, Gauge
from pymongo.asynchronous.database import AsyncDatabase

from services.kernel.base.logging import get_logger
from services.kernel.eventsourcing.eventstore import document_to_envelope

log = get_logger(__name__)

PARKED_COLLECTION = "relay_parked"
#: a record batch's own header (61 bytes) and the lease's term header, added after the size is measured
RECORD_OVERHEAD_BYTES = 61 + 64
DEFAULT_MAX_REQUEST_BYTES = 1_048_576  # aiokafka's max_request_size default
LIMIT_REFRESH_SECONDS = 60.0

RELAY_PARKED = Gauge("ybss_relay_parked_events", "Events the outbox relay parked because Kafka cannot take them",
                     ["context"])
RELAY_PARKED_TOTAL = Counter("ybss_relay_parked_total", "Events parked by the outbox relay", ["context", "reason"])


def stored_record(document: dict) -> tuple[bytes, bytes, list[tuple[str, bytes]], int]:
    """A stored event as the relay publishes it (as stored, never upcast): key, value, headers, and what the
    broker will count for it alone (a batch of one)."""
    envelope = document_to_envelope(document, upcast_payload=False)
    key, value, headers = envelope.stream_id.encode(), envelope.to_bytes(), envelope.kafka_headers()
    return key, value, headers, (DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, headers)
                                 + RECORD_OVERHEAD_BYTES)


class TopicLimit:
    """The largest record a topic takes: min(its ``max.message.bytes``, the producer's ``max_request_size``),
    read from the broker and cached (``refresh`` forgets it, so a raised limit is seen at once)."""

    def __init__(self, client_options: dict, topic: str, max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
                 refresh_seconds: float = LIMIT_REFRESH_SECONDS) -> None:
        self.client_options = client_options
        self.topic = topic
        self.max_request_bytes = max_request_bytes
        self.refresh_seconds = refresh_seconds
        self._value: int | None = None
        self._read_at = 0.0

    def refresh(self) -> None:
        self._value = None

    async def __call__(self) -> int:
        if self._value is None or time.monotonic() - self._read_at > self.refresh_seconds:
            topic_limit = await self._topic_max_message_bytes()
            if topic_limit is not None or self._value is None:
                self._value = min(self.max_request_bytes, topic_limit or self.max_request_bytes)
                self._read_at = time.monotonic()
        return self._value

    async def _topic_max_message_bytes(self) -> int | None:
        admin = AIOKafkaAdminClient(**self.client_options)
        try:
            await admin.start()
            responses = await admin.describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, self.topic, {"max.message.bytes": None})])
            for resource in responses[0].resources:
                for entry in resource[4]:
                    if entry[0] == "max.message.bytes" and entry[1]:
                        return int(entry[1])
        except Exception as error:  # noqa: BLE001 - unknown limit: the producer's own applies until read
            log.warning("topic limit unreadable", topic=self.topic, error=repr(error))
        finally:
            try:
                await admin.close()
            except Exception:  # noqa: BLE001 - a client that never started has nothing to close
                pass
        return None


class ParkingLot:
    """The parked events of one relay (``address``, ``address-access``...), in its context's database."""

    def __init__(self, db: AsyncDatabase, relay: str, outbox: str = "events", reread_seconds: float = 1.0) -> None:
        self.collection = db[PARKED_COLLECTION]
        self.relay = relay
        self.outbox = outbox  #: the collection the relay publishes from, kept with each parked event
        self.reread_seconds = reread_seconds
        self._streams: set[str] = set()
        self._read_at: float | None = None

    async def streams(self) -> set[str]:
        """Streams the relay must not publish from: each has a parked event the rest waits behind. Read again at
        most every ``reread_seconds`` (a release by ``ybss relay parked republish`` is seen within it); what this
        relay parks itself is known at once."""
        if self._read_at is None or time.monotonic() - self._read_at >= self.reread_seconds:
            self._streams = set(await self.collection.distinct("stream_id", {"relay": self.relay}))
            self._read_at = time.monotonic()
        return self._streams

    async def park(self, document: dict, topic: str, reason: str, error: str, size: int, limit: int) -> None:
        await self.collection.update_one({"_id": document["_id"]}, {"$setOnInsert": {
            "relay": self.relay, "outbox": self.outbox, "topic": topic, "stream_id": document["stream_id"],
            "stream_type": document.get("stream_type"), "version": document["version"],
            "event_type": document.get("event_type"), "reason": reason, "error": error, "bytes": size,
            "limit_bytes": limit, "correlation_id": document.get("correlation_id"),
            "parked_at": datetime.now(timezone.utc)}}, upsert=True)
        self._streams.add(document["stream_id"])
        RELAY_PARKED_TOTAL.labels(self.relay, reason).inc()
        RELAY_PARKED.labels(self.relay).set(await self.count())
        log.error("relay parked an event Kafka cannot take; its stream waits until it is republished",
                  relay=self.relay, topic=topic, event_id=document["_id"], stream_id=document["stream_id"],
                  version=document["version"], event_type=document.get("event_type"), reason=reason,
                  bytes=size, limit_bytes=limit, error=error)

    async def count(self) -> int:
        return await self.collection.count_documents({"relay": self.relay})

    async def list(self, limit: int = 1000) -> list[dict[str, Any]]:
        cursor = self.collection.find({"relay": self.relay}).sort([("parked_at", 1)]).limit(limit)
        return [document async for document in cursor]

    async def release(self, event_ids: list[str]) -> int:
        """Hand events back to the relay (it publishes them, then what waited behind them, in order)."""
        result = await self.collection.delete_many({"relay": self.relay, "_id": {"$in": event_ids}})
        RELAY_PARKED.labels(self.relay).set(await self.count())
        return result.deleted_count
