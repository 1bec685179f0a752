"""The access log (查询留痕): a read of a record by id leaves an event on the access-log topic; health does not."""

from __future__ import annotations

import asyncio
import json

from aiokafka import AIOKafkaConsumer

from contracts.topics import access_log_topic
from services.kernel.web.auth import mint_token
from tests.integration.address_helpers import TOWNSHIP
from tests.integration.conftest import unique_name


async def access_events(settings, reader: str, wanted: int, timeout: float = 90.0) -> list[dict]:
    """The access events of ``reader`` on the run's topic: read until ``wanted`` of them are there, then to the
    topic's end (other tests' reads, refusals and lists share the topic: never stop at the first batch)."""
    consumer = AIOKafkaConsumer(access_log_topic(settings.namespace), bootstrap_servers=settings.kafka_bootstrap_servers,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    found: list[dict] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=1000)
            events = [json.loads(record.value) for records in batch.values() for record in records]
            found += [event for event in events if event["actor"]["id"] == reader]
            if not events and len(found) >= wanted:
                break
    finally:
        await consumer.stop()
    return found


async def test_a_lookup_is_logged_with_who_what_and_where_and_a_health_check_is_not(address_client, settings):
    reader = {"Authorization": "Bearer " + mint_token("PC-LOG-7", "police", "532503", settings)}
    created = await address_client.post("/v1/doorplates", headers=reader,
                                        json={"division_code": TOWNSHIP, "road_name": unique_name(), "number": "3"})
    plate = created.json()
    assert (await address_client.get("/healthz")).status_code == 200
    assert (await address_client.get("/readyz")).status_code == 200
    read = await address_client.get(f"/v1/doorplates/{plate['code']}", params={"min_version": plate["version"]},
                                    headers=reader | {"X-Correlation-ID": "corr-access-1"})
    assert read.status_code == 200

    events = await access_events(settings, "PC-LOG-7", wanted=1)
    assert len(events) == 1, "one read, one access event; health and readiness leave none"
    event = events[0]
    assert event["event_type"] == "RecordAccessed" and event["stream_type"] == "AccessLog"
    assert event["correlation_id"] == "corr-access-1" and event["division_code"] == TOWNSHIP
    assert event["actor"]["role"] == "police" and event["actor"]["organisation_code"] == "532503"
    assert event["payload"]["record_type"] == "doorplate" and event["payload"]["record_id"] == plate["code"]
    assert event["payload"]["route"] == "/v1/doorplates/{code}" and event["payload"]["context"] == "address"
