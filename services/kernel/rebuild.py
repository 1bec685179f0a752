"""Rebuild a read model from offset 0 into a fresh generation, then swap it in.

The rebuild consumes every partition of the projection's topics from the beginning with the new
generation's consumer group, through the same ProjectionRunner the live service uses (same idempotence,
gap detection and dead letters), up to the end offsets seen when it started. It commits its offsets as
it goes, so when the pointer flips, the live service's new subscriber continues exactly where the rebuild
stopped. The old generation stays on disk for comparison or rollback.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from services.kernel.generations import active_generation, swap_generation
from services.kernel.projection import Projection, ProjectionRunner, physical_name
from services.kernel.runtime import kafka_producer, mongo_client
from services.kernel.settings import Settings


@dataclass
class RebuildReport:
    projection: str
    previous_generation: int
    generation: int
    events: int
    seconds: float
    swapped: bool


async def rebuild(settings: Settings, context: str, projection: Projection, swap: bool = True) -> RebuildReport:
    started = time.perf_counter()
    client = mongo_client(settings)
    db = client[settings.database_name(context)]
    producer = kafka_producer(settings)
    await producer.start()
    try:
        current = await active_generation(db, projection.name)
        generation = current + 1
        for logical in [*projection.collections, f"{projection.name}.checkpoints"]:
            await db.drop_collection(physical_name(logical, generation))  # leftovers of an abandoned rebuild
        runner = ProjectionRunner.for_settings(projection, client, db, producer, settings, generation)
        await runner.ensure_indexes()
        events = await _replay(settings, runner)
        if swap:
            await swap_generation(db, projection.name, generation, current)
        return RebuildReport(projection.name, current, generation, events, round(time.perf_counter() - started, 2), swap)
    finally:
        await producer.stop()
        await client.close()


async def _replay(settings: Settings, runner: ProjectionRunner) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, group_id=runner.group_id,
                                enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, partition) for topic in runner.topics
                      for partition in sorted(consumer.partitions_for_topic(topic) or await _partitions(consumer, topic))]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        applied = 0
        while await _behind(consumer, partitions, end):
            batches = await consumer.getmany(timeout_ms=1000, max_records=500)
            for tp, records in batches.items():
                for record in records:
                    if record.offset >= end[tp]:
                        continue
                    await runner.handle_record(record.value, record.key, list(record.headers or []), record.topic,
                                               record.partition, record.offset)
                    applied += 1
                if records:
                    await consumer.commit({tp: OffsetAndMetadata(min(records[-1].offset + 1, end[tp]), "")})
        await consumer.commit({tp: OffsetAndMetadata(end[tp], "") for tp in partitions})
        return applied
    finally:
        await consumer.stop()


async def _behind(consumer: AIOKafkaConsumer, partitions: list[TopicPartition], end: dict) -> bool:
    for tp in partitions:
        if await consumer.position(tp) < end[tp]:
            return True
    return False


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()  # noqa: SLF001 - aiokafka has no public refresh
    return consumer.partitions_for_topic(topic) or set()
