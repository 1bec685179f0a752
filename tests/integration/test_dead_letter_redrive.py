"""A gap no longer freezes a stream: poison → parked (with what is behind it) → fixed → redrive → resumes.

The read model after the redrive equals a rebuild from offset 0 with the fixed handler.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid

from aiokafka import AIOKafkaProducer

from contracts.envelope import Actor, EventEnvelope
from contracts.events import DomainEvent
from contracts.topics import events_topic
from services.kernel.messaging.redrive import list_parked, redrive
from services.kernel.eventsourcing.eventstore import envelope_to_document
from services.kernel.messaging.projection import Projection, ProjectionTx, physical_name
from services.kernel.operations.rebuild import rebuild
from services.kernel.messaging.runtime import Runtime, mongo_client

ACTOR = Actor(id="PC-1", role="police", organisation_code="532503")
CONTEXT = "redrivetest"


class Tallied(DomainEvent):
    """A test-only fact."""

    model_config = {"extra": "allow", "frozen": True}


tally = Projection("test-redrive", sources=[CONTEXT], collections=["tallies"])
broken = {"yes": True}  # the "bug": events marked poison fail until it is fixed


@tally.handles(Tallied)
async def tallied(tx: ProjectionTx) -> None:
    if tx.envelope.payload.get("poison") and broken["yes"]:
        raise ValueError("handler bug: cannot tally a poison payload")
    await tx.collection("tallies").update_one(
        {"_id": tx.envelope.stream_id}, {"$push": {"versions": tx.envelope.version}}, upsert=True, session=tx.session)


def envelope(stream: str, version: int, **payload) -> EventEnvelope:
    return EventEnvelope(event_type="Tallied", stream_id=stream, stream_type="Tally", version=version, actor=ACTOR,
                         correlation_id="redrive-test", payload=payload)


async def wait_until(predicate, timeout: float = 30.0) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(0.1)
    return False


async def test_poison_parks_its_stream_and_a_redrive_after_the_fix_resumes_it(settings):
    runtime = Runtime(settings, CONTEXT, [tally])
    await runtime.start()
    try:
        suffix = uuid.uuid4().hex[:6]
        sick, healthy, gappy = f"sick-{suffix}", f"healthy-{suffix}", f"gappy-{suffix}"
        # gappy's version 2 is in the event store (the log of record) but never reached the topic.
        await runtime.db["events"].insert_one({**envelope_to_document(envelope(gappy, 2)), "published": True})
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
        await producer.start()
        topic = events_topic(CONTEXT, settings.namespace)
        for item in (envelope(sick, 1), envelope(sick, 2, poison=True), envelope(healthy, 1), envelope(sick, 3),
                     envelope(gappy, 1), envelope(gappy, 3), envelope(sick, 4), envelope(healthy, 2)):
            await producer.send_and_wait(topic, value=item.to_bytes(), key=item.stream_id.encode())
        await producer.stop()
        tallies = runtime.read_model(tally.name, "tallies")
        runner = runtime.runners[tally.name]

        async def everything_settled():
            parked = await list_parked(runner)
            plate = await tallies.find_one({"_id": healthy})
            return len(parked) == 4 and plate is not None and plate["versions"] == [1, 2]

        assert await wait_until(everything_settled), "healthy streams flow; the sick one parks"
        parked = await list_parked(runner)
        assert [(p["stream_id"], p["version"], p["reason"]) for p in parked] == sorted([
            (sick, 2, "failed"), (sick, 3, "behind"), (sick, 4, "behind"), (gappy, 3, "gap")])
        assert "handler bug" in next(p["error"] for p in parked if p["reason"] == "failed")
        assert (await tallies.find_one({"_id": sick}))["versions"] == [1], "nothing applied past the poison"

        still_broken = await redrive(runner, [sick])
        assert sick in still_broken.still_parked and still_broken.applied == 0, "not fixed yet: stays parked"

        broken["yes"] = False  # the fix is deployed
        report = await redrive(runner)
        assert sorted(report.resumed_streams) == sorted([sick, gappy])
        assert report.applied == 4 and report.filled_from_store == 1 and not report.still_parked
        assert await list_parked(runner) == []
        assert (await tallies.find_one({"_id": sick}))["versions"] == [1, 2, 3, 4]
        assert (await tallies.find_one({"_id": gappy}))["versions"] == [1, 2, 3]

        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
        await producer.start()
        await producer.send_and_wait(topic, value=envelope(sick, 5).to_bytes(), key=sick.encode())
        await producer.stop()

        async def resumed():
            return (await tallies.find_one({"_id": sick}))["versions"] == [1, 2, 3, 4, 5]

        assert await wait_until(resumed), "the live consumer applies the stream's next event again"
    finally:
        await runtime.stop()

    broken["yes"] = False
    report = await rebuild(settings, CONTEXT, tally, swap=False)
    client = mongo_client(settings)
    try:
        db = client[settings.database_name(CONTEXT)]
        mine = {"_id": {"$in": [sick, healthy]}}
        live = {d["_id"]: d async for d in db[physical_name("tallies", 1)].find(mine)}
        rebuilt = {d["_id"]: d async for d in db[physical_name("tallies", report.generation)].find(mine)}
        assert rebuilt == live and live[sick]["versions"] == [1, 2, 3, 4, 5], \
            "after the redrive the read model equals a rebuild"
    finally:
        await client.close()


def test_the_dlt_commands_answer_for_a_real_projection(settings):
    # a namespace of its own: other tests publish hand-made events onto the shared run's topics on purpose
    env = {**os.environ, "YBSS_NAMESPACE": f"{settings.namespace}_dlt"}  # dropped with the run's namespace
    listed = subprocess.run([sys.executable, "-m", "services.kernel.operations.cli", "dlt", "list", "--context", "address",
                             "--projection", "address-registry"], capture_output=True, text=True, env=env, timeout=60)
    assert listed.returncode == 0 and "nothing parked for address-registry" in listed.stderr
    redriven = subprocess.run([sys.executable, "-m", "services.kernel.operations.cli", "dlt", "redrive", "--context", "address",
                               "--projection", "address-registry"], capture_output=True, text=True, env=env, timeout=60)
    assert redriven.returncode == 0 and '"still_parked": {}' in redriven.stdout
