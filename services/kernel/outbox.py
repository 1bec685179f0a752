"""Outbox relay: every stored event reaches Kafka, at least once, in per-stream order.

The relay reads unpublished events oldest first (UUIDv7 ids sort by time), publishes them keyed by stream
id with acks=all and an idempotent producer, waits for the broker's acknowledgement of the whole batch,
and only then marks them published. A crash anywhere in between means the batch is sent again: consumers
drop the duplicates by version. Within a batch events are ordered by (stream, version), so a stream's
versions enter its partition in order.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from aiokafka import AIOKafkaProducer
from pymongo.errors import PyMongoError

from services.kernel.eventstore import EventStore, document_to_envelope
from services.kernel.logging import get_logger
from services.kernel.metrics import EVENTS_RELAYED, RELAY_LAG_EVENTS, RELAY_LAG_SECONDS

log = get_logger(__name__)


class OutboxRelay:
    def __init__(
        self,
        store: EventStore,
        producer: AIOKafkaProducer,
        topic: str,
        context: str,
        batch_size: int = 500,
        idle_poll_seconds: float = 0.2,
    ) -> None:
        self.store = store
        self.producer = producer
        self.topic = topic
        self.context = context
        self.batch_size = batch_size
        self.idle_poll_seconds = idle_poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        store.on_append(self._wake.set)

    async def publish_batch(self) -> int:
        """Publish one batch of unpublished events; returns how many were published."""
        cursor = self.store.events.find({"published": False}).sort("_id", 1).limit(self.batch_size)
        documents = [document async for document in cursor]
        if not documents:
            self._set_lag(0, None)
            return 0
        documents.sort(key=lambda document: (document["stream_id"], document["version"]))
        futures = []
        for document in documents:
            envelope = document_to_envelope(document)
            futures.append(
                await self.producer.send(
                    self.topic,
                    value=envelope.to_bytes(),
                    key=envelope.stream_id.encode(),
                    headers=envelope.kafka_headers(),
                )
            )
        await asyncio.gather(*futures)
        ids = [document["_id"] for document in documents]
        await self.store.events.update_many(
            {"_id": {"$in": ids}}, {"$set": {"published": True, "published_at": datetime.now(timezone.utc)}}
        )
        EVENTS_RELAYED.labels(self.topic).inc(len(documents))
        await self._measure_lag()
        return len(documents)

    async def _measure_lag(self) -> None:
        pending = await self.store.events.count_documents({"published": False})
        oldest = None
        if pending:
            oldest = await self.store.events.find_one({"published": False}, sort=[("_id", 1)])
        self._set_lag(pending, oldest["recorded_at"] if oldest else None)

    def _set_lag(self, pending: int, oldest: datetime | None) -> None:
        RELAY_LAG_EVENTS.labels(self.context).set(pending)
        if oldest is None:
            RELAY_LAG_SECONDS.labels(self.context).set(0)
            return
        if oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=timezone.utc)
        RELAY_LAG_SECONDS.labels(self.context).set((datetime.now(timezone.utc) - oldest).total_seconds())

    async def run(self) -> None:
        """Publish until cancelled; sleep until an append wakes us or the idle poll comes round."""
        backoff = 0.1
        while True:
            try:
                self._wake.clear()
                published = await self.publish_batch()
                backoff = 0.1
                if published < self.batch_size:
                    try:
                        await asyncio.wait_for(self._wake.wait(), timeout=self.idle_poll_seconds)
                    except asyncio.TimeoutError:
                        pass
            except asyncio.CancelledError:
                raise
            except (PyMongoError, OSError, Exception) as error:  # noqa: BLE001 - the relay must outlive outages
                log.warning("outbox relay failed, retrying", context=self.context, error=repr(error), backoff=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name=f"outbox-relay-{self.context}")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
