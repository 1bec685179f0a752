"""映射中继: the province's feeds mapped through the mapping tables onto the exchange topics, at least once, in order.

Reads ``<ns>.feed.<entity>.provincial-exchange`` (the province's own grant) and writes each record's target row to
``<ns>.exchange.province.<table>``, keyed by the target key. Offsets are committed only after every row of a batch
is on the broker (acks=all, idempotent producer), so a crash redelivers and never skips; one record id always maps
to one key and so one partition, which keeps its changes in order. A message older than the version the target row
already has (a feed's rare stale state after a hand-over, contracts/feeds.py) is skipped, as the feed contract
asks of every subscriber; the versions held are read back from the compacted exchange topics at start, so the
guard survives a restart. A message that is not a feed message is not dropped: it goes to the dead-letter list
with the reason.
"""

from __future__ import annotations

import asyncio
import json

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from pydantic import ValidationError

from contracts.feeds import FeedMessage, feed_topic
from services.exchange.mapping import Mapping
from services.exchange.records import connect_key, connect_value, target_row
from services.exchange.settings import SUBSCRIBER
from services.exchange.snapshot import read_to_end
from services.exchange.topics import dead_letter_topic, exchange_topic, relay_group
from services.kernel.base.settings import Settings
from services.kernel.messaging.runtime import kafka_producer
from services.kernel.messaging.topics import COMPACTED, ensure_topics

log = structlog.get_logger("exchange.relay")

#: header of a dead letter the relay wrote (the sink's own carry ``__connect.errors.*``)
RELAY_ERROR_HEADER = "ybss.exchange.error"


def source_topics(mapping: Mapping, namespace: str) -> list[str]:
    return [feed_topic(table.entity, namespace, SUBSCRIBER) for table in mapping.tables]


async def ensure_exchange_topics(mapping: Mapping, settings: Settings) -> None:
    """The feeds it reads (if the publisher has not made them yet) and the exchange topics, all compacted."""
    ns = settings.namespace
    await ensure_topics(settings, source_topics(mapping, ns) + [exchange_topic(t, ns) for t in mapping.tables],
                        COMPACTED)


def _encode(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


class ProvinceRelay:
    """The mapper's consume-map-produce loop for one namespace."""

    def __init__(self, mapping: Mapping, settings: Settings) -> None:
        self.mapping = mapping
        self.settings = settings
        self.mapped = 0
        self.refused = 0
        self.stale = 0
        #: (exchange topic, key) → the record version its row has, for tables with a "$version" column
        self.held: dict[tuple[str, bytes], int] = {}
        self.version_columns = {exchange_topic(table, settings.namespace): column.name for table in mapping.tables
                                for column in table.columns if column.source == "$version"}

    async def load_held(self) -> None:
        """The versions the exchange topics already carry (their latest row per key)."""
        async for record in read_to_end(self.settings, list(self.version_columns)):
            payload = json.loads(record.value).get("payload") or {}
            version = payload.get(self.version_columns[record.topic])
            if isinstance(version, int) and record.key is not None:
                self.held[(record.topic, record.key)] = version

    def _fresh(self, topic: str, key: bytes, version: int) -> bool:
        """Not older than what the target row has (an equal version is a republish: written again)."""
        if topic not in self.version_columns:
            return True
        if version < self.held.get((topic, key), 0):
            return False
        self.held[(topic, key)] = version
        return True

    def _out(self, record: ConsumerRecord) -> tuple[str, bytes | None, bytes, list] | None:
        """(topic, key, value, headers) of one feed record; None for a stale state."""
        try:
            message = FeedMessage.model_validate_json(record.value)
        except ValidationError as exc:
            reason = f"not a feed message: {exc.errors()[0]['loc']} {exc.errors()[0]['msg']}"
            return dead_letter_topic(self.settings.namespace), record.key, record.value or b"", [
                (RELAY_ERROR_HEADER, reason.encode()), ("ybss.exchange.source", record.topic.encode())]
        table = self.mapping.for_entity(message.entity)
        if table is None:
            return dead_letter_topic(self.settings.namespace), record.key, record.value or b"", [
                (RELAY_ERROR_HEADER, f"no table of the mapping takes entity {message.entity}".encode())]
        row = target_row(self.mapping, table, message, record.timestamp)
        topic, key = exchange_topic(table, self.settings.namespace), _encode(connect_key(table, row))
        if not self._fresh(topic, key, message.version):
            self.stale += 1
            return None
        return topic, key, _encode(connect_value(table, row)), []

    async def run(self) -> None:
        """Until cancelled."""
        await ensure_exchange_topics(self.mapping, self.settings)
        await self.load_held()
        consumer = AIOKafkaConsumer(
            *source_topics(self.mapping, self.settings.namespace), **self.settings.kafka_client_options(),
            group_id=relay_group(self.settings.namespace), enable_auto_commit=False, auto_offset_reset="earliest")
        producer = kafka_producer(self.settings)
        await consumer.start()
        await producer.start()
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=1000, max_records=500)
                for records in batches.values():
                    outs = [out for out in map(self._out, records) if out is not None]
                    sent = [await producer.send(topic, value, key=key, headers=headers)
                            for topic, key, value, headers in outs]
                    await asyncio.gather(*sent)
                    refused = sum(1 for _, _, _, headers in outs if headers)
                    self.refused += refused
                    self.mapped += len(outs) - refused
                if batches:
                    await consumer.commit()
                    log.info("exchange.mapped", mapped=self.mapped, refused=self.refused, stale=self.stale)
        finally:
            await producer.stop()
            await consumer.stop()
