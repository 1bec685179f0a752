"""Outbox relay: every stored event reaches Kafka, at least once, in per-stream order.

The relay reads unpublished events oldest first (UUIDv7 ids sort by time), publishes them keyed by stream
id with acks=all and an idempotent producer, waits for the broker's acknowledgement of the whole batch,
and only then marks them published. A crash anywhere in between means the batch is sent again: consumers
drop the duplicates by version. Within a batch events are ordered by (stream, version), so a stream's
versions enter its partition in order. The next batch is *read* while the previous one's acknowledgements
are pending (its ids excluded) but *sent* only once they all arrived, so a failed batch is re-sent before
anything behind it. The ``published`` flag stays the only outbox state: a high-water mark on ids would
skip an event whose transaction committed late (id order is not commit order). Lag is sampled on a timer.

An event Kafka cannot take (larger than the topic accepts) is parked, never retried for ever: the relay skips
its stream (later events of that stream wait behind it) and every other stream keeps flowing
(services.kernel.messaging.parking).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Awaitable, Callable

from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError
from pymongo.errors import PyMongoError

from services.kernel.base.logging import get_logger
from services.kernel.base.metrics import EVENTS_RELAYED, RELAY_LAG_EVENTS, RELAY_LAG_SECONDS
from services.kernel.base.timeouts import cancel_and_wait, within
from services.kernel.eventsourcing.eventstore import EventStore
from services.kernel.messaging.parking import DEFAULT_MAX_REQUEST_BYTES, RELAY_PARKED, ParkingLot, stored_record

log = get_logger(__name__)

CATCH_UP_FACTOR = 4


class OutboxRelay:
    def __init__(
        self,
        store: EventStore,
        producer: AIOKafkaProducer,
        topic: str,
        context: str,
        batch_size: int = 500,
        idle_poll_seconds: float = 0.2,
        lag_sample_seconds: float = 1.0,
        record_limit: Callable[[], Awaitable[int]] | None = None,
    ) -> None:
        self.store = store
        self.producer = producer
        self.topic = topic
        self.context = context
        self.batch_size = batch_size
        self.idle_poll_seconds = idle_poll_seconds
        self.lag_sample_seconds = lag_sample_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        #: the largest record the topic takes (services.kernel.messaging.parking.TopicLimit); the producer's own otherwise
        self.record_limit = record_limit or self._producer_limit
        self.parking = ParkingLot(store.db, context, store.events.name)
        store.on_append(self._wake.set)

    async def _producer_limit(self) -> int:
        return getattr(self.producer, "_max_request_size", DEFAULT_MAX_REQUEST_BYTES)

    async def _read_batch(self, exclude: list[str], limit: int | None = None) -> list[dict]:
        """The oldest unpublished events, except those already sent and awaiting their acknowledgement."""
        query: dict = {"published": False}
        if exclude:
            query["_id"] = {"$nin": exclude}
        parked_streams = await self.parking.streams()
        if parked_streams:  # their events wait behind a parked one (per-stream order)
            query["stream_id"] = {"$nin": sorted(parked_streams)}
        cursor = self.store.events.find(query).sort("_id", 1).limit(limit or self.batch_size)
        documents = [document async for document in cursor]
        documents.sort(key=lambda document: (document["stream_id"], document["version"]))
        return documents

    async def _send(self, documents: list[dict]) -> tuple[list[dict], list[asyncio.Future]]:
        """Send the batch in (stream, version) order; returns the documents sent and their acknowledgements.
        An event too large for the topic is parked instead, and the rest of its stream in the batch held back."""
        sent, futures, held = [], [], set()
        limit = await self.record_limit()
        for document in documents:
            if document["stream_id"] in held:
                continue
            key, value, headers, size = stored_record(document)
            if size > limit and hasattr(self.record_limit, "refresh"):  # the limit may have been raised since
                self.record_limit.refresh()
                limit = await self.record_limit()
            try:
                if size > limit:
                    raise MessageSizeTooLargeError(f"the record is {size} bytes; the topic takes at most {limit}")
                future = await self.producer.send(self.topic, value=value, key=key, headers=headers)
            except MessageSizeTooLargeError as error:  # refused before it reached the broker: producer intact
                await self.parking.park(document, self.topic, "too_large", str(error), size, limit)
                held.add(document["stream_id"])
                continue
            sent.append(document)
            futures.append(future)
        return sent, futures

    async def _settle(self, documents: list[dict], futures: list[asyncio.Future]) -> None:
        """Wait for the broker's acknowledgement of the whole batch, then mark it published."""
        await asyncio.gather(*futures)
        await self._mark_published(documents)

    async def _mark_published(self, documents: list[dict]) -> None:
        await self.store.events.update_many(
            {"_id": {"$in": [document["_id"] for document in documents]}},
            {"$set": {"published": True, "published_at": datetime.now(timezone.utc)}},
        )
        EVENTS_RELAYED.labels(self.topic).inc(len(documents))

    async def publish_batch(self) -> int:
        """Publish one batch of unpublished events; returns how many were published."""
        documents = await self._read_batch([])
        if documents:
            documents, futures = await self._send(documents)
            await self._settle(documents, futures)
        return len(documents)

    async def measure_lag(self) -> None:
        pending = await self.store.events.count_documents({"published": False})
        RELAY_PARKED.labels(self.context).set(await self.parking.count())
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

    async def _measure_lag_forever(self) -> None:
        """Lag is a gauge for operators: a count on a timer, not a count per batch on the hot path."""
        while True:
            try:
                await self.measure_lag()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - a missed sample is fine
                log.debug("relay lag sample failed", context=self.context, error=repr(error))
            await asyncio.sleep(self.lag_sample_seconds)

    async def run(self) -> None:
        """Publish until cancelled. Batch N+1 is read while N's acks are pending and sent only once they all
        arrived (a failed batch is re-sent before anything behind it); N is marked published while N+1's acks
        are pending."""
        lag_task = asyncio.create_task(self._measure_lag_forever(), name=f"relay-lag-{self.context}")
        backoff = 0.1
        in_flight: tuple[list[dict], list[asyncio.Future]] | None = None
        behind = False
        try:
            while True:
                try:
                    self._wake.clear()
                    exclude = [document["_id"] for document in in_flight[0]] if in_flight else []
                    # Behind (the last read was full): read up to CATCH_UP_FACTOR batches at once, fewer round trips.
                    documents = await self._read_batch(exclude, self.batch_size * (CATCH_UP_FACTOR if behind else 1))
                    behind = len(documents) >= self.batch_size
                    acked, in_flight = in_flight, None
                    if acked:
                        await asyncio.gather(*acked[1])
                    if documents:
                        in_flight = await self._send(documents)
                        in_flight = in_flight if in_flight[0] else None  # all parked: nothing to wait for
                    if acked:
                        await self._mark_published(acked[0])
                    backoff = 0.1
                    if len(documents) < self.batch_size and not in_flight:
                        try:
                            await within(self.idle_poll_seconds, self._wake.wait())
                        except asyncio.TimeoutError:
                            pass
                except asyncio.CancelledError:
                    raise
                except (PyMongoError, OSError, Exception) as error:  # noqa: BLE001 - the relay must outlive outages
                    in_flight = None  # unmarked, so read and sent again: consumers drop the copies by version
                    if not getattr(error, "retriable", True) and hasattr(self.record_limit, "refresh"):
                        self.record_limit.refresh()  # the broker refused a record: its limit may have been lowered
                    log.warning("outbox relay failed, retrying", context=self.context, error=repr(error),
                                backoff=backoff)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
        finally:
            lag_task.cancel()
            await asyncio.gather(lag_task, return_exceptions=True)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name=f"outbox-relay-{self.context}")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
