"""The projection runner against real Kafka and MongoDB: duplicates, gaps, poison, dead letters, commits."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from contracts.envelope import Actor, EventEnvelope
from contracts.events import DomainEvent
from contracts.topics import events_topic
from services.kernel.messaging.projection import Projection, ProjectionTx
from services.kernel.messaging.runtime import Runtime

ACTOR = Actor(id="PC-1", role="police", organisation_code="532503")
CONTEXT = "projtest"



class Counted(DomainEvent):
    """A test-only fact (tests are not the published language, so it is not exported)."""

    model_config = {"extra": "allow", "frozen": True}


counter = Projection("test-counter", sources=[CONTEXT], collections=["counts"])


@counter.handles(Counted)
async def counted(tx: ProjectionTx) -> None:
    if tx.envelope.payload.get("poison"):
        raise ValueError("this payload always fails")
    await tx.collection("counts").update_one(
        {"_id": tx.envelope.stream_id}, {"$inc": {"n": 1}, "$push": {"versions": tx.envelope.version}},
        upsert=True, session=tx.session,
    )


def event(stream: str, version: int, **payload) -> bytes:
    return EventEnvelope(event_type="Counted", stream_id=stream, stream_type="Counter", version=version,
                         actor=ACTOR, correlation_id="proj-test", payload=payload).to_bytes()


async def wait_until(predicate, timeout: float = 30.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(0.1)
    return False


@pytest.fixture
async def runtime(settings):
    runtime = Runtime(settings, CONTEXT, [counter])
    await runtime.start()
    yield runtime
    await runtime.stop()


async def test_duplicates_gaps_and_poison_are_handled_and_the_stream_keeps_flowing(settings, runtime):
    suffix = uuid.uuid4().hex[:6]
    a, poison, c, gap = (f"{name}-{suffix}" for name in ("a", "poison", "c", "gap"))
    messages = [
        (a, event(a, 1)), (a, event(a, 1)), (a, event(a, 2)),  # a duplicate delivery
        (poison, event(poison, 1, poison=True)),  # fails every time -> dead letter
        (c, event(c, 1)),  # behind the poison message: must still be applied
        (gap, event(gap, 1)), (gap, event(gap, 3)),  # version 2 never came: a gap
        ("junk", b"\x00not an envelope"),  # undecodable
        (c, event(c, 2)),
    ]
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
    await producer.start()
    topic = events_topic(CONTEXT, settings.namespace)
    for key, value in messages:
        await producer.send_and_wait(topic, value=value, key=key.encode(), partition=0)
    await producer.stop()

    counts = runtime.read_model(counter.name, "counts")

    async def c_done():
        doc = await counts.find_one({"_id": c})
        return doc is not None and doc["n"] == 2

    assert await wait_until(c_done), "messages behind a poison message are still applied"
    assert (await counts.find_one({"_id": a}))["versions"] == [1, 2], "the duplicate was applied once"
    assert (await counts.find_one({"_id": gap}))["versions"] == [1], "the event after a gap is not applied"
    assert await counts.find_one({"_id": poison}) is None

    runner = runtime.runners[counter.name]
    dead = AIOKafkaConsumer(runner.dead_letter_topic, bootstrap_servers=settings.kafka_bootstrap_servers,
                            auto_offset_reset="earliest", group_id=None)
    await dead.start()
    letters = []
    try:
        for _ in range(240):
            for records in (await dead.getmany(timeout_ms=500)).values():
                letters.extend(records)
            if len(letters) >= 3:
                break
    finally:
        await dead.stop()
    reasons = sorted(dict(letter.headers)["dlt_reason"].decode() for letter in letters)
    assert reasons == ["failed", "gap", "undecodable"]
    poisoned = next(letter for letter in letters if dict(letter.headers)["dlt_reason"] == b"failed")
    assert b"this payload always fails" in dict(poisoned.headers)["dlt_error"]
    assert EventEnvelope.from_bytes(poisoned.value).stream_id == poison, "the original message is kept"
    assert dict(poisoned.headers)["dlt_source_topic"].decode() == topic

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        async def committed_all():
            offsets = await admin.list_consumer_group_offsets(runner.group_id)
            meta = offsets.get(TopicPartition(topic, 0))
            return meta is not None and meta.offset == len(messages)

        assert await wait_until(committed_all, 15), "the offset is committed once every message is settled"
    finally:
        await admin.close()


flaky = Projection("test-flaky", sources=["flakytest"], collections=["applied"])
outages: dict[str, int] = {}
applied_order: list[tuple[str, int]] = []


@flaky.handles(Counted)
async def flaky_counted(tx: ProjectionTx) -> None:
    from pymongo.errors import AutoReconnect

    stream = tx.envelope.stream_id
    if tx.envelope.payload.get("outage") and outages.get(stream, 0) < 3:
        outages[stream] = outages.get(stream, 0) + 1
        raise AutoReconnect("simulated: MongoDB unreachable")
    applied_order.append((stream, tx.envelope.version))
    await tx.collection("applied").update_one({"_id": stream}, {"$push": {"versions": tx.envelope.version}},
                                              upsert=True, session=tx.session)


async def test_an_infrastructure_failure_rewinds_instead_of_skipping_or_dead_lettering(settings):
    runtime = Runtime(settings, "flakytest", [flaky])
    await runtime.start()
    try:
        suffix = uuid.uuid4().hex[:6]
        first, second = f"f-{suffix}", f"g-{suffix}"
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
        await producer.start()
        topic = events_topic("flakytest", settings.namespace)
        for key, value in ((first, event(first, 1, outage=True)), (second, event(second, 1)), (first, event(first, 2))):
            await producer.send_and_wait(topic, value=value, key=key.encode(), partition=0)
        await producer.stop()
        applied = runtime.read_model(flaky.name, "applied")

        async def done():
            doc = await applied.find_one({"_id": first})
            return doc is not None and doc["versions"] == [1, 2]

        assert await wait_until(done, 40), "the event behind an outage is applied once the database answers"
        assert outages[first] == 3, "the failing message was retried, not skipped"
        mine = [item for item in applied_order if item[0] in (first, second)]
        assert mine == [(first, 1), (second, 1), (first, 2)], "partition order is kept through the rewind"
        from services.kernel.base.metrics import DEAD_LETTERS

        assert DEAD_LETTERS.labels("test-flaky", "failed")._value.get() == 0, "an outage is never dead-lettered"
    finally:
        await runtime.stop()
