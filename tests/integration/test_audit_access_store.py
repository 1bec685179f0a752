"""The access log's own store: entries land beside the archive, not in it, and leave after the configured
retention (a TTL index the service keeps at YBSS_AUDIT_ACCESS_LOG_RETENTION_DAYS, changed in place)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from aiokafka import AIOKafkaProducer
from uuid6 import uuid7

from contracts.access import ACCESS_STREAM_TYPE, RecordAccessed
from contracts.envelope import Actor, EventEnvelope
from contracts.topics import access_log_topic
from services.audit.archive import ACCESS, EVENTS, NAME, RETENTION_INDEX
from services.audit.config import audit_settings
from services.audit.retention import ensure_retention, forget_access_checkpoints
from services.kernel.eventsourcing.access_log import PUBLISHED_TTL_INDEX
from tests.integration.audit_helpers import audit_service, headers

pytestmark = pytest.mark.integration


audit = pytest.fixture(scope="module", name="audit")(audit_service)


def access(reader: Actor, record_id: str, at: datetime) -> EventEnvelope:
    return EventEnvelope(
        event_type="RecordAccessed", stream_id=f"access-{uuid7()}", stream_type=ACCESS_STREAM_TYPE, version=1,
        occurred_at=at, recorded_at=at, actor=reader, correlation_id=f"read-{record_id}", division_code="532503001",
        payload=RecordAccessed(context="person", record_type="person", record_id=record_id,
                               route="/v1/persons/{person_id}").model_dump(mode="json"))


async def send(settings, *envelopes: EventEnvelope) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        for envelope in envelopes:
            await producer.send_and_wait(access_log_topic(settings.namespace), envelope.to_bytes(),
                                         key=envelope.stream_id.encode(), headers=envelope.kafka_headers())
    finally:
        await producer.stop()


async def test_access_entries_have_their_own_store_and_a_retention(audit, settings, monkeypatch):
    runtime = audit.fastapi.state.runtime
    tag = uuid.uuid4().hex[:6]
    reader = Actor(id=f"PC-STORE-{tag}", role="police", organisation_code="532503001")
    now = datetime.now(timezone.utc)
    fresh, stale = access(reader, f"P-{tag}-fresh", now), access(reader, f"P-{tag}-old", now - timedelta(days=400))
    await send(settings, stale, fresh)  # the stale one first: a replay from offset 0 delivers old entries

    supervisor = headers(settings)
    deadline = time.monotonic() + 60
    while (page := (await audit.get("/v1/audit/access", params={"actor_id": reader.id},
                                    headers=supervisor)).json())["total"] < 1 and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert [entry["record_id"] for entry in page["items"]] == [f"P-{tag}-fresh"]  # the stale one is not kept
    store, events = runtime.read_model(NAME, ACCESS), runtime.read_model(NAME, EVENTS)
    assert await store.count_documents({"actor.id": reader.id}) == 1
    assert await events.count_documents({"actor.id": reader.id}) == 0  # not a copy in the archive of changes
    assert (await store.index_information())[RETENTION_INDEX]["expireAfterSeconds"] == 180 * 86400
    outbox = runtime.access_log.store.events  # the context's own outbox of reads: published entries leave it
    assert (await outbox.index_information())[PUBLISHED_TTL_INDEX]["expireAfterSeconds"] == 30 * 86400

    # a shorter retention, set on the running service: the index changes in place and old entries leave
    monkeypatch.setenv("YBSS_AUDIT_ACCESS_LOG_RETENTION_DAYS", "1")
    audit_settings.cache_clear()
    try:
        assert await ensure_retention(store) == 86400
        assert (await store.index_information())[RETENTION_INDEX]["expireAfterSeconds"] == 86400
        await store.insert_one({**(await store.find_one({"actor.id": reader.id})), "_id": f"old-{tag}",
                                "recorded_at": now - timedelta(days=2)})
        deadline = time.monotonic() + 180  # the server's TTL monitor runs about once a minute
        while await store.count_documents({"_id": f"old-{tag}"}) and time.monotonic() < deadline:
            await asyncio.sleep(1)
        assert await store.count_documents({"_id": f"old-{tag}"}) == 0
        assert await store.count_documents({"actor.id": reader.id}) == 1  # today's entry stays
    finally:
        monkeypatch.delenv("YBSS_AUDIT_ACCESS_LOG_RETENTION_DAYS")
        audit_settings.cache_clear()
        await ensure_retention(store)


async def test_checkpoints_of_access_entries_are_dropped_and_a_redelivery_stays_one_entry(audit, settings):
    """Every access entry is a stream of one event: the archive drops their checkpoints, and stores an entry once
    per event id, so the same entry delivered again after that is still one entry."""
    runtime = audit.fastapi.state.runtime
    reader = Actor(id=f"PC-CKPT-{uuid.uuid4().hex[:6]}", role="police", organisation_code="532503001")
    entry = access(reader, "P-ckpt", datetime.now(timezone.utc))
    await send(settings, entry)
    checkpoints, store = runtime.runners[NAME].checkpoints, runtime.read_model(NAME, ACCESS)
    deadline = time.monotonic() + 60
    while not await checkpoints.count_documents({"_id": entry.stream_id}) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert await forget_access_checkpoints(checkpoints, older_than=timedelta(0)) >= 1
    assert await checkpoints.count_documents({"_id": entry.stream_id}) == 0
    runtime.runners[NAME].forget()  # as after a restart: the consumer remembers nothing
    await send(settings, entry)  # redelivered (a relay re-sending a batch after a crash)
    deadline = time.monotonic() + 60
    while not await checkpoints.count_documents({"_id": entry.stream_id}) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert await checkpoints.count_documents({"_id": entry.stream_id}) == 1  # applied again ...
    assert await store.count_documents({"actor.id": reader.id}) == 1  # ... and still one entry
