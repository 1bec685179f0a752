"""A topic read from its earliest offset to the end offsets taken at the start, and the feeds' current state read
that way (ybss's side of the reconciliation).

A compacted feed topic read to its end holds every record; the latest state of a record is its highest version
(a replay republishes a version, never lowers it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import ValidationError

from contracts.feeds import FeedMessage
from services.kernel.base.settings import Settings


async def _partitions(settings: Settings, topics: list[str]) -> list[TopicPartition]:
    """The partitions of those of ``topics`` that exist (a consumer without a subscription knows none)."""
    admin = AIOKafkaAdminClient(**settings.kafka_client_options())
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return [TopicPartition(d["topic"], p["partition"]) for d in described if d["error_code"] == 0
            for p in sorted(d["partitions"], key=lambda p: p["partition"])]


async def read_to_end(settings: Settings, topics: list[str]) -> AsyncIterator[ConsumerRecord]:
    """Every record of ``topics`` present when called (absent topics: nothing), without a consumer group."""
    partitions = await _partitions(settings, topics)
    if not partitions:
        return
    # earliest: without a group the fresh assignment resets to it (a latest reset could overtake a seek)
    consumer = AIOKafkaConsumer(**settings.kafka_client_options(), enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        for tp, offset in (await consumer.beginning_offsets(partitions)).items():
            consumer.seek(tp, offset)
        pending = {tp for tp in partitions if ends[tp] > 0}
        while pending:
            batches = await consumer.getmany(*pending, timeout_ms=1000, max_records=2000)
            for tp, records in batches.items():
                for record in records:
                    if record.offset < ends[tp]:
                        yield record
            pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
    finally:
        await consumer.stop()


async def latest_messages(settings: Settings, topics: list[str]) -> dict[str, list[tuple[FeedMessage, int]]]:
    """topic → [(message, kafka timestamp ms)], one per record id (its highest version, the later one on a tie)."""
    latest: dict[tuple[str, str], tuple[FeedMessage, int]] = {}
    async for record in read_to_end(settings, topics):
        try:
            message = FeedMessage.model_validate_json(record.value)
        except ValidationError:
            continue  # not a feed message: the relay lists it as a dead letter
        held = latest.get((record.topic, message.record_id))
        if held is None or message.version >= held[0].version:
            latest[(record.topic, message.record_id)] = (message, record.timestamp)
    result: dict[str, list[tuple[FeedMessage, int]]] = {topic: [] for topic in topics}
    for (topic, _), value in latest.items():
        result[topic].append(value)
    return result
