"""The access log's own store: entries land beside the archive, not in it, and leave after the configured
retention (a TTL index the service keeps at YBSS_AUDIT_ACCESS_LOG_RETENTION_DAYS, changed in place)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from aiokafka import AIOKafkaProducer

from contracts.access import ACCESS_STREAM_TYPE, RecordAccessed
from contracts.envelope import Actor, EventEnvelope
from contracts.topics import access_log_topic
from services.audit.archive import ACCESS, EVENTS, NAME, RETENTION_INDEX
from services.audit.config import audit_settings
from services.audit.retention import ensure_retention
from services.kernel.access_log import PUBLISHED_TTL_INDEX
from tests.integration.audit_helpers import audit_service, headers

pytestmark = pytest.mark.integration


audit = pytest.fixture(scope="module", name="audit")(audit_service)


def access(reader: Actor, record_id: str, at: datetime) -> EventEnvelope:
    return EventEnvelope(
        event_type="RecordAccessed", stream_id=f"access-{uuid.uuid4()}", stream_type=ACCESS_STREAM_TYPE, version=1,
        occurred_at=at, recorded_at=at, actor=reader, correlation_id=f"read-{record_id}", division_code="532503001",
        payload=RecordAccessed(context="person", record_type="person", record_id=record_id,
                               route="/v1/persons/{person_id}").model_dump(mode="json"))


async def test_access_entries_have_their_own_store_and_a_retention(audit, settings, monkeypatch):
    runtime = audit.fastapi.state.runtime
    tag = uuid.uuid4().hex[:6]
    reader = Actor(id=f"PC-STORE-{tag}", role="police", organisation_code="532503001")
    now = datetime.now(timezone.utc)
    fresh, stale = access(reader, f"P-{tag}-fresh", now), access(reader, f"P-{tag}-old", now - timedelta(days=400))
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:  # the stale one first: a replay from offset 0 delivers entries older than the retention
        for envelope in (stale, fresh):
            await producer.send_and_wait(access_log_topic(settings.namespace), envelope.to_bytes(),
                                         key=envelope.stream_id.encode(), headers=envelope.kafka_headers())
    finally:
        await producer.stop()

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
        assert await ensure_retention(runtime) == 86400
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
        await ensure_retention(runtime)
