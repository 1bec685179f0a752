"""The outbox relay against real Kafka: killed mid-batch and restarted, it loses nothing and keeps order."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid

from aiokafka import AIOKafkaConsumer

from contracts.envelope import Actor, EventEnvelope
from contracts.topics import events_topic
from services.kernel.eventsourcing.eventstore import EventStore
from services.kernel.messaging.runtime import mongo_client
from services.kernel.messaging.topics import ensure_topics

ACTOR = Actor(id="PC-1", role="police", organisation_code="532503")
CONTEXT = "relaytest"
STREAMS, VERSIONS = 40, 50  # 2,000 events


async def read_topic(settings, topic: str, expected: int, timeout: float = 60) -> list[EventEnvelope]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap_servers,
                                auto_offset_reset="earliest", enable_auto_commit=False, group_id=None)
    await consumer.start()
    seen: list[EventEnvelope] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                seen.extend(EventEnvelope.from_bytes(record.value) for record in records)
            if len({e.event_id for e in seen}) >= expected and not batches:
                break
    finally:
        await consumer.stop()
    return seen


def start_relay(settings, batch_size: int) -> subprocess.Popen:
    env = {**os.environ, "YBSS_NAMESPACE": settings.namespace}
    return subprocess.Popen([sys.executable, "-m", "services.kernel.operations.cli", "relay", "--context", CONTEXT,
                             "--batch-size", str(batch_size)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def test_relay_killed_mid_batch_then_restarted_delivers_everything_in_stream_order(settings):
    topic = events_topic(CONTEXT, settings.namespace)
    await ensure_topics(settings, [topic])
    client = mongo_client(settings)
    store = EventStore(client, client[settings.database_name(CONTEXT)])
    await store.ensure_indexes()
    streams = [f"s{n}-{uuid.uuid4().hex[:6]}" for n in range(STREAMS)]
    for version in range(1, VERSIONS + 1):
        await asyncio.gather(*(
            store.append(stream, version - 1, [EventEnvelope(
                event_type="TestHappened", stream_id=stream, stream_type="Test", version=version,
                actor=ACTOR, correlation_id="relay-test", payload={"n": version})])
            for stream in streams))
    total = STREAMS * VERSIONS

    relay = start_relay(settings, batch_size=100)
    try:
        for _ in range(600):
            published = await store.events.count_documents({"published": True})
            if published >= 200:
                break
            await asyncio.sleep(0.02)
        relay.send_signal(signal.SIGKILL)
        relay.wait(timeout=10)
    finally:
        if relay.poll() is None:
            relay.kill()
    published_at_kill = await store.events.count_documents({"published": True})
    assert 0 < published_at_kill < total, "the kill must land while the relay is mid-way"

    relay = start_relay(settings, batch_size=100)
    try:
        for _ in range(1200):
            if await store.events.count_documents({"published": False}) == 0:
                break
            await asyncio.sleep(0.05)
    finally:
        relay.terminate()
        relay.wait(timeout=10)
    assert await store.events.count_documents({"published": False}) == 0

    seen = await read_topic(settings, topic, total)
    assert len({str(e.event_id) for e in seen}) == total, "every stored event reached Kafka"
    first_seen: dict[str, list[int]] = {}
    for envelope in seen:
        versions = first_seen.setdefault(envelope.stream_id, [])
        if envelope.version not in versions:
            versions.append(envelope.version)
    for stream in streams:
        assert first_seen[stream] == list(range(1, VERSIONS + 1)), f"{stream} out of order"
    await client.close()
