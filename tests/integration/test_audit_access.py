"""The access log through the real path (a context's access store → its relay → the access topic → the audit
archive): queries by person, by reader and by time, and the outside-jurisdiction flag."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from contracts.envelope import Actor
from services.kernel.eventsourcing.aggregate import CommandContext
from tests.integration.audit_helpers import headers, running_audit

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def audit():
    manager, client = await running_audit()
    yield client
    await client.aclose()
    await manager.__aexit__(None, None, None)


async def until_total(client, auth, params: dict, total: int, timeout: float = 60) -> dict:
    """Poll until the page holds ``total`` entries: the count and the page are two reads, so an entry archived
    between them can make the total right while the page still lacks it."""
    deadline = time.monotonic() + timeout
    while True:
        page = (await client.get("/v1/audit/access", params=params, headers=auth)).json()
        if (page.get("total") == total and len(page.get("items", [])) == total) or time.monotonic() > deadline:
            return page
        await asyncio.sleep(0.2)


async def test_who_looked_up_whom_and_the_flag(audit, settings):
    runtime = audit.fastapi.state.runtime
    tag = uuid.uuid4().hex[:6]
    reader = Actor(id=f"PC-{tag}", role="police", organisation_code="532502")  # 开远市 police
    ctx = CommandContext(actor=reader, correlation_id=f"read-{tag}")
    started = datetime.now(timezone.utc)
    persons = [f"P-{tag}-{n}" for n in range(4)]
    for person in persons:  # four persons of 蒙自市: outside the reader's jurisdiction
        await runtime.access_log.record(ctx, "person", person, "/v1/persons/{person_id}", division_code="532503001")
    await runtime.access_log.record(ctx, "person", persons[0], "/v1/persons/{person_id}", division_code="532503001")
    supervisor = headers(settings)  # 蒙自市 supervisor: the records are in their jurisdiction

    by_reader = await until_total(audit, supervisor, {"actor_id": reader.id}, 5)
    assert by_reader["total"] == 5
    assert {e["record_id"] for e in by_reader["items"]} == set(persons)
    assert by_reader["items"][0]["route"] == "/v1/persons/{person_id}"
    by_person = (await audit.get("/v1/audit/access", params={"record_id": persons[0]}, headers=supervisor)).json()
    assert by_person["total"] == 2 and all(e["actor"]["id"] == reader.id for e in by_person["items"])
    later = (await audit.get("/v1/audit/access", headers=supervisor, params={
        "actor_id": reader.id, "since": (datetime.now(timezone.utc) + timedelta(minutes=5)).isoformat()})).json()
    assert later["total"] == 0
    elsewhere = (await audit.get("/v1/audit/access", params={"actor_id": reader.id},
                                 headers=headers(settings, org="530102"))).json()
    assert elsewhere["total"] == 0

    flagged = (await audit.get("/v1/audit/access/flags", headers=supervisor,
                               params={"outside_persons": 4, "night_reads": 10**6})).json()
    mine = [f for f in flagged["flags"] if f["actor_id"] == reader.id]
    assert [(f["rule"], f["count"]) for f in mine] == [("outside_jurisdiction", 4)]
    before = (await audit.get("/v1/audit/access/flags", headers=supervisor, params={
        "outside_persons": 4, "as_of": (started - timedelta(seconds=1)).isoformat()})).json()
    assert not [f for f in before["flags"] if f["actor_id"] == reader.id]
    police = await audit.get("/v1/audit/access", params={"actor_id": reader.id},
                             headers=headers(settings, role="police"))
    assert police.status_code == 403
    changes = (await audit.get("/v1/audit/log", params={"actor_id": reader.id}, headers=supervisor)).json()
    assert changes["total"] == 0  # reads are not changes


async def test_night_lookups_published_by_another_context_are_flagged(audit, settings):
    """Reads arrive from every context on the access topic; those at night (local time) flag the reader."""
    from aiokafka import AIOKafkaProducer

    from contracts.access import ACCESS_STREAM_TYPE, RecordAccessed
    from contracts.envelope import EventEnvelope
    from contracts.topics import access_log_topic

    tag = uuid.uuid4().hex[:6]
    reader = Actor(id=f"PC-NIGHT-{tag}", role="police", organisation_code="532503001")
    # 23:40 in 蒙自 two nights ago: inside the access store's retention whenever the test runs
    night = (datetime.now(timezone.utc) - timedelta(days=2)).replace(hour=15, minute=40, second=0, microsecond=0)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        for n in range(3):
            envelope = EventEnvelope(
                event_type="RecordAccessed", stream_id=f"access-{uuid.uuid4()}", stream_type=ACCESS_STREAM_TYPE,
                version=1, occurred_at=night + timedelta(minutes=n), recorded_at=night + timedelta(minutes=n),
                actor=reader, correlation_id=f"night-{tag}", division_code="532503001",
                payload=RecordAccessed(context="person", record_type="person", record_id=f"P-{tag}-{n}",
                                       route="/v1/persons/{person_id}").model_dump(mode="json"))
            await producer.send_and_wait(access_log_topic(settings.namespace), envelope.to_bytes(),
                                         key=envelope.stream_id.encode(), headers=envelope.kafka_headers())
    finally:
        await producer.stop()
    supervisor = headers(settings)
    await until_total(audit, supervisor, {"actor_id": reader.id}, 3)
    as_of = (night + timedelta(hours=1)).isoformat()
    flagged = (await audit.get("/v1/audit/access/flags", headers=supervisor,
                               params={"as_of": as_of, "night_reads": 3, "outside_persons": 100})).json()
    assert [(f["rule"], f["count"]) for f in flagged["flags"] if f["actor_id"] == reader.id] == [("night", 3)]
    quiet = (await audit.get("/v1/audit/access/flags", headers=supervisor,
                             params={"as_of": as_of, "night_reads": 4, "outside_persons": 100})).json()
    assert not [f for f in quiet["flags"] if f["actor_id"] == reader.id]
