"""Issue 16, "no request can stop a service": an event Kafka refuses no longer freezes the outbox relay.

Before: a 1.2 MB event (unbounded CorrectPerson.changes) was refused by the broker and the relay retried the
oldest unpublished event for ever, so every read model, replica and alert of the service stopped. Now the event
is parked (with a metric and a log line), its stream's later events wait behind it, other streams flow into the
read model, and ``ybss relay parked republish`` hands it back once the broker's limit is raised.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from prometheus_client import REGISTRY

from contracts.envelope import Actor, EventEnvelope
from contracts.events import DomainEvent
from contracts.topics import events_topic
from services.kernel.messaging.projection import Projection, ProjectionTx
from services.kernel.messaging.runtime import Runtime
from services.kernel.messaging.topics import KEEP_FOREVER

ACTOR = Actor(id="PC-1", role="police", organisation_code="532503")
CONTEXT = "relaypark"
SMALL_LIMIT = 64 * 1024
DEADLINE = 90.0


def event(stream: str, version: int, filler: int = 0) -> EventEnvelope:
    return EventEnvelope(event_type="RelayParkTested", stream_id=stream, stream_type="Test", version=version,
                         actor=ACTOR, correlation_id="relay-park-test", payload={"n": version, "filler": "x" * filler})


async def set_max_message_bytes(settings, topic: str, limit: int, create: bool = False) -> None:
    admin = AIOKafkaAdminClient(**settings.kafka_client_options())
    await admin.start()
    try:
        configs = {**KEEP_FOREVER, "max.message.bytes": str(limit)}
        if create:
            await admin.create_topics([NewTopic(topic, 2, 1, topic_configs=configs)])
        else:
            await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs)])
    finally:
        await admin.close()


async def read_until(settings, topic: str, wanted, seen: list[EventEnvelope]) -> list[EventEnvelope]:
    """Read the topic from the start until ``wanted(seen)`` holds (generous deadline, never a fixed wait)."""
    consumer = AIOKafkaConsumer(topic, **settings.kafka_client_options(), auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None)
    await consumer.start()
    seen.clear()
    try:
        deadline = asyncio.get_running_loop().time() + DEADLINE
        while not wanted(seen) and asyncio.get_running_loop().time() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                seen.extend(EventEnvelope.from_bytes(record.value) for record in records)
    finally:
        await consumer.stop()
    return seen


def versions_of(seen: list[EventEnvelope], stream: str) -> list[int]:
    first: list[int] = []
    for envelope in seen:
        if envelope.stream_id == stream and envelope.version not in first:
            first.append(envelope.version)
    return first


class RelayParkTested(DomainEvent):
    """A test-only fact."""

    model_config = {"extra": "allow", "frozen": True}


seen_versions = Projection("relaypark-versions", sources=[CONTEXT], collections=["versions"])


@seen_versions.handles(RelayParkTested)
async def record_version(tx: ProjectionTx) -> None:
    await tx.collection("versions").update_one({"_id": tx.envelope.stream_id},
                                               {"$addToSet": {"versions": tx.envelope.version}},
                                               upsert=True, session=tx.session)


async def read_model_until(runtime: Runtime, wanted: dict[str, list[int]]) -> dict[str, list[int]]:
    """The read model's versions per stream, once it shows ``wanted`` (generous deadline, never a fixed wait)."""
    collection = runtime.read_model(seen_versions.name, "versions")
    deadline = asyncio.get_running_loop().time() + DEADLINE
    while True:
        found = {doc["_id"]: sorted(doc["versions"]) async for doc in collection.find({"_id": {"$in": list(wanted)}})}
        if found == wanted or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.2)


async def test_an_event_too_large_for_kafka_is_parked_and_the_rest_keeps_flowing_then_republished(settings):
    topic = events_topic(CONTEXT, settings.namespace)
    await set_max_message_bytes(settings, topic, SMALL_LIMIT, create=True)  # before the runtime ensures topics
    runtime = Runtime(settings, CONTEXT, [seen_versions])  # the service's own wiring: leased relay, projection
    await runtime.start()
    blocked, other = f"big-{uuid.uuid4().hex[:8]}", f"other-{uuid.uuid4().hex[:8]}"
    oversized = event(blocked, 2, filler=200 * 1024)
    try:
        store = runtime.store
        await store.append(blocked, 0, [event(blocked, 1)])
        await store.append(blocked, 1, [oversized])  # between two normal ones
        await store.append(blocked, 2, [event(blocked, 3)])
        await store.append(other, 0, [event(other, 1)])
        assert await read_model_until(runtime, {blocked: [1], other: [1]}) == {blocked: [1], other: [1]}, \
            "the event before the oversized one and another stream reach the read model"
        parked = await store.db["relay_parked"].find_one({"_id": str(oversized.event_id)})
        assert parked and parked["reason"] == "too_large" and parked["bytes"] > SMALL_LIMIT >= parked["limit_bytes"]
        later = await store.events.find_one({"stream_id": blocked, "version": 3})
        assert later["published"] is False, "the stream's later event waits behind the parked one (per-stream order)"
        assert REGISTRY.get_sample_value("ybss_relay_parked_events", {"context": CONTEXT}) >= 1

        listed = await run_cli("relay", "parked", "list", "--context", CONTEXT)
        assert [row["_id"] for row in listed] == [str(oversized.event_id)]
        still = await run_cli("relay", "parked", "republish", "--context", CONTEXT, "--wait", "1", expect=1)
        assert still[0]["status"] == "still_too_large", "republishing before the fix keeps it parked and says why"

        await set_max_message_bytes(settings, topic, 1024 * 1024)  # the operator raises the broker's limit
        answered = await run_cli("relay", "parked", "republish", "--context", CONTEXT, "--wait", str(DEADLINE))
        assert answered == [{**answered[0], "event_id": str(oversized.event_id), "status": "published"}]
        assert await read_model_until(runtime, {blocked: [1, 2, 3]}) == {blocked: [1, 2, 3]}
        seen: list[EventEnvelope] = []
        await read_until(settings, topic, lambda s: versions_of(s, blocked) == [1, 2, 3], seen)
        assert versions_of(seen, blocked) == [1, 2, 3], "the parked event, then what waited behind it, in order"
        assert await store.db["relay_parked"].count_documents({}) == 0
    finally:
        await runtime.stop()


async def run_cli(*argv: str, expect: int = 0) -> list[dict]:
    """``ybss ...`` as an operator runs it (another process, same namespace); its JSON lines."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.kernel.operations.cli", *argv, env={**os.environ},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    assert process.returncode == expect, err.decode()[-2000:]
    return [json.loads(line) for line in out.decode().splitlines() if line.strip()]
