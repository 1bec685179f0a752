"""Relay leader election against the real MongoDB and Kafka: one relay per context publishes, a standby
takes over within the lease's TTL when the leader is killed, and the topic keeps every event in stream order."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid

from aiokafka import AIOKafkaConsumer

from contracts.envelope import Actor, EventEnvelope
from contracts.topics import events_topic
from services.kernel.eventsourcing.eventstore import EventStore
from services.kernel.messaging.lease import TERM_HEADER, MongoLease, relay_lease_name
from services.kernel.messaging.runtime import mongo_client
from services.kernel.messaging.topics import ensure_topics

ACTOR = Actor(id="PC-1", role="police", organisation_code="532503")
TTL, RENEW = 3.0, 0.5
STREAMS, VERSIONS = 20, 30  # 600 events, appended while the relays run


async def test_lease_is_held_by_one_holder_and_passes_on_with_a_higher_token(settings):
    client = mongo_client(settings)
    db = client[settings.database_name(f"lease{uuid.uuid4().hex[:6]}")]
    first = MongoLease.for_database(db, "relay", ttl_seconds=1.0, holder="pod-a")
    second = MongoLease.for_database(db, "relay", ttl_seconds=1.0, holder="pod-b")

    assert await first.acquire() and first.held()
    assert not await second.acquire(), "a live lease is not taken"
    assert await first.renew()
    await first.release()
    assert not first.held()
    assert await second.acquire(), "a released lease is taken at once"
    assert second.token == (await db.leases.find_one({"_id": "relay"}))["token"] == 2, "a new term, a new token"

    await asyncio.sleep(1.1)  # second stops renewing: its term runs out
    assert not second.held(), "the holder stops trusting its term before the TTL ends"
    assert await first.acquire(), "an expired lease is taken"
    assert first.token == 3
    assert not await second.renew(), "the old holder learns it lost the lease"
    assert (await db.leases.find_one({"_id": "relay"}))["holder"] == "pod-a"
    await client.drop_database(db.name)
    await client.close()


async def test_an_acquire_whose_answer_was_lost_is_taken_again_by_the_same_holder_not_after_the_term(settings):
    """Under load an acquire can take the lease and still time out for its caller: the holder must not then wait
    for its own unknown term to end (the next acquire would time out the same way, and the relay never ran)."""
    client = mongo_client(settings)
    db = client[settings.database_name(f"lease{uuid.uuid4().hex[:6]}")]
    lease = MongoLease.for_database(db, "relay", ttl_seconds=60.0, holder="pod-a")
    other = MongoLease.for_database(db, "relay", ttl_seconds=60.0, holder="pod-b")
    assert await lease.acquire()
    lease.token = None  # the answer never arrived: the term is in MongoDB, unknown to its holder
    assert await lease.acquire() and lease.held(), "its own lease is taken again at once"
    assert lease.token == 2, "as a new term: whatever the lost term sent is fenced off by the token"
    assert not await other.acquire(), "another holder still waits for the term to end"
    await client.drop_database(db.name)
    await client.close()


def start_relay(settings, context: str) -> subprocess.Popen:
    env = {**os.environ, "YBSS_NAMESPACE": settings.namespace, "YBSS_RELAY_LEASE_TTL_SECONDS": str(TTL),
           "YBSS_RELAY_LEASE_RENEW_SECONDS": str(RENEW)}
    return subprocess.Popen([sys.executable, "-m", "services.kernel.operations.cli", "relay", "--context", context,
                             "--batch-size", "20"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def append_all(store: EventStore, streams: list[str], pause: float) -> None:
    for version in range(1, VERSIONS + 1):
        await asyncio.gather(*(
            store.append(stream, version - 1, [EventEnvelope(
                event_type="TestHappened", stream_id=stream, stream_type="Test", version=version,
                actor=ACTOR, correlation_id="lease-test", payload={"n": version})])
            for stream in streams))
        await asyncio.sleep(pause)


async def read_topic(settings, topic: str, expected: int, timeout: float = 60) -> list:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap_servers,
                                auto_offset_reset="earliest", enable_auto_commit=False, group_id=None)
    await consumer.start()
    records: list = []
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for batch in batches.values():
                records.extend(batch)
            if len({EventEnvelope.from_bytes(r.value).event_id for r in records}) >= expected and not batches:
                break
    finally:
        await consumer.stop()
    return records


async def wait_for(predicate, timeout: float, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(step)
    raise AssertionError("condition not met in time")


async def fresh_context(settings, stem: str):
    """A context of its own for one test: its topic, its database and event store."""
    context = f"{stem}{uuid.uuid4().hex[:4]}"
    topic = events_topic(context, settings.namespace)
    await ensure_topics(settings, [topic])
    client = mongo_client(settings)
    db = client[settings.database_name(context)]
    store = EventStore(client, db)
    await store.ensure_indexes()
    return context, topic, client, db, store


async def test_two_relays_one_publishes_the_standby_takes_over_when_the_leader_is_killed(settings):
    context, topic, client, db, store = await fresh_context(settings, "leasetest")
    leases = db.leases
    streams = [f"s{n}-{uuid.uuid4().hex[:6]}" for n in range(STREAMS)]
    appending = asyncio.create_task(append_all(store, streams, pause=0.15))

    relays = {relay.pid: relay for relay in (start_relay(settings, context), start_relay(settings, context))}
    try:
        async def leader():
            lease = await leases.find_one({"_id": relay_lease_name(context)})
            return lease if lease and lease.get("holder") else None

        first = await wait_for(leader, timeout=30)
        leader_pid = int(first["holder"].split(":")[1])
        assert leader_pid in relays
        await wait_for(lambda: store.events.count_documents({"published": True}), timeout=30)
        await asyncio.sleep(1.5)  # both run for several renewals; the standby must not publish
        assert (await leader())["token"] == first["token"], "the lease stayed with one relay"

        relays[leader_pid].send_signal(signal.SIGKILL)
        relays[leader_pid].wait(timeout=10)
        killed_at = time.monotonic()

        async def successor():
            lease = await leader()
            return lease if lease and lease["token"] > first["token"] else None

        second = await wait_for(successor, timeout=TTL + 10)
        takeover = time.monotonic() - killed_at
        standby_pid = int(second["holder"].split(":")[1])
        assert standby_pid != leader_pid and standby_pid in relays
        print(f"relay lease takeover after the leader was killed: {takeover:.2f} s (TTL {TTL} s)")
        # The killed leader renewed at most RENEW before dying; the standby polls every RENEW.
        assert takeover <= TTL + RENEW + 1.0, f"took {takeover:.1f} s to take over (TTL {TTL} s)"

        await appending
        total = STREAMS * VERSIONS
        await wait_for(lambda: _all_published(store), timeout=60, step=0.1)
    finally:
        appending.cancel()
        for relay in relays.values():
            if relay.poll() is None:
                relay.terminate()
                relay.wait(timeout=10)

    records = await read_topic(settings, topic, total)
    envelopes = [EventEnvelope.from_bytes(record.value) for record in records]
    assert len({str(e.event_id) for e in envelopes}) == total, "no stored event was lost"
    terms: dict[int, list[int]] = {}
    for record in records:
        terms.setdefault(record.partition, []).append(int(dict(record.headers)[TERM_HEADER]))
    assert {t for partition in terms.values() for t in partition} == {first["token"], second["token"]}
    for partition, sequence in terms.items():
        assert sequence == sorted(sequence), f"partition {partition}: the old term published after the new one"
    seen: dict[str, list[int]] = {}
    for envelope in envelopes:
        versions = seen.setdefault(envelope.stream_id, [])
        if envelope.version not in versions:
            versions.append(envelope.version)
    for stream in streams:
        assert seen[stream] == list(range(1, VERSIONS + 1)), f"{stream} out of order"
    await client.close()


async def _all_published(store: EventStore) -> bool:
    return await _nothing_unpublished(store) and await store.events.count_documents({}) == STREAMS * VERSIONS


async def test_a_leader_that_loses_its_lease_stops_publishing_and_campaigns_again(settings):
    from services.kernel.messaging.lease import LeasedRelay
    from services.kernel.messaging.outbox import OutboxRelay
    from services.kernel.messaging.runtime import kafka_producer

    context, topic, client, db, store = await fresh_context(settings, "leaseloss")
    producer = kafka_producer(settings)
    await producer.start()
    relay = OutboxRelay(store, producer, topic, context, idle_poll_seconds=0.05)
    leader = LeasedRelay(relay, MongoLease.for_database(db, relay_lease_name(context), TTL, "pod-a"), RENEW)

    def event(stream: str, version: int) -> EventEnvelope:
        return EventEnvelope(event_type="TestHappened", stream_id=stream, stream_type="Test", version=version,
                             actor=ACTOR, correlation_id="lease-loss", payload={"n": version})

    leader.start()
    try:
        await store.append("s-1", 0, [event("s-1", 1)])
        await wait_for(lambda: store.events.count_documents({"published": True}), timeout=15)
        first_term = leader.lease.token

        # Another holder takes the lease (as if this pod had been partitioned past its TTL).
        await db.leases.update_one({"_id": relay_lease_name(context)},
                                   {"$set": {"holder": "pod-b", "expires_at": _in(60)}, "$inc": {"token": 1}})
        await wait_for(lambda: _not_leading(leader), timeout=RENEW * 3)
        await store.append("s-1", 1, [event("s-1", 2)])
        await asyncio.sleep(RENEW * 4)
        assert await store.events.count_documents({"published": False}) == 1, "a deposed relay still published"

        # pod-b vanishes without releasing: after its TTL, pod-a takes a new term and publishes the backlog.
        await db.leases.update_one({"_id": relay_lease_name(context)}, {"$set": {"expires_at": _in(-60)}})
        await wait_for(lambda: _nothing_unpublished(store), timeout=RENEW * 4 + 5)
        assert leader.lease.token == first_term + 2
    finally:
        await leader.stop()
        await producer.stop()

    records = await read_topic(settings, topic, 2)
    terms = {EventEnvelope.from_bytes(r.value).version: int(dict(r.headers)[TERM_HEADER]) for r in records}
    assert terms == {1: first_term, 2: first_term + 2}
    await client.close()


async def _not_leading(leader) -> bool:
    return not leader.is_leader()


async def _nothing_unpublished(store: EventStore) -> bool:
    return await store.events.count_documents({"published": False}) == 0


def _in(seconds: float):
    from datetime import datetime, timedelta, timezone

    return datetime.now(timezone.utc) + timedelta(seconds=seconds)
