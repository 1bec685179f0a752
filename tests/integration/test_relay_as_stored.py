"""The relay publishes the stored event as stored; readers upcast. So the Kafka log and the store agree."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from contracts.envelope import Actor, EventEnvelope
from contracts.events import DomainEvent, upcaster
from contracts.topics import events_topic
from services.kernel.eventsourcing.eventstore import EventStore
from services.kernel.messaging.outbox import OutboxRelay
from services.kernel.messaging.decoding import decode
from services.kernel.messaging.runtime import kafka_producer, mongo_client
from services.kernel.messaging.topics import ensure_topics

CONTEXT = "upcasttest"


class ShelfLabelled(DomainEvent):
    """Test-only event at schema version 2: version 1 called the field ``text``."""

    schema_version = 2
    label: str


@upcaster("ShelfLabelled", 1)
def _text_became_label(payload: dict) -> dict:
    return {"label": payload["text"]}


async def test_an_old_event_is_published_as_stored_and_upcast_by_every_reader(settings):
    topic = events_topic(CONTEXT, settings.namespace)
    await ensure_topics(settings, [topic])
    client = mongo_client(settings)
    store = EventStore(client, client[settings.database_name(CONTEXT)])
    await store.ensure_indexes()
    stream = f"shelf-{uuid.uuid4().hex[:8]}"
    await store.append(stream, 0, [EventEnvelope(
        event_type="ShelfLabelled", schema_version=1, stream_id=stream, stream_type="Shelf", version=1,
        actor=Actor(id="PC-1", role="police", organisation_code="532503"), correlation_id="c",
        payload={"text": "old shape"})])
    producer: AIOKafkaProducer = kafka_producer(settings)
    await producer.start()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap_servers,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    try:
        relay = OutboxRelay(store, producer, topic, CONTEXT)
        assert await relay.publish_batch() == 1
        await consumer.start()
        records = []
        deadline = asyncio.get_running_loop().time() + 20
        while not records and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            records = [record for part in batch.values() for record in part]
        published = EventEnvelope.from_bytes(records[0].value)
        assert (published.schema_version, published.payload) == (1, {"text": "old shape"}), "published as stored"
        assert dict(records[0].headers)["schema_version"] == b"1"
        assert decode(records[0].value).payload == {"label": "old shape"}, "a consumer reads the newest shape"
        assert (await store.read_stream(stream))[0].payload == {"label": "old shape"}, "so does the store's reader"
        ShelfLabelled.model_validate((await store.read_stream(stream))[0].payload)
    finally:
        await consumer.stop()
        await producer.stop()
        await client.close()
