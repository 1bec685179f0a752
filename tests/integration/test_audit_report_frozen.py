"""A closed month's report is published once and never changes; an event of that month reaching the archive
afterwards (a late delivery, as a replay or a lagging consumer brings it) shows in the next month's report as a
correction line (更正), and that month's change is against the figures as published."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from aiokafka import AIOKafkaProducer

from contracts.envelope import Actor, EventEnvelope
from contracts.topics import events_topic
from services.audit.report.model import month_bounds
from tests.integration.audit_helpers import archived_history, audit_service, headers

pytestmark = pytest.mark.integration
TOWN = "532503108"
COLLECTOR = Actor(id="GW-LATE-1", role="collector", organisation_code=TOWN)


def months_ago(count: int) -> tuple[str, datetime]:
    """(YYYY-MM, the 15th of that month) ``count`` Beijing months before this one: closed whenever the test runs."""
    today = datetime.now(timezone(timedelta(hours=8)))
    index = today.year * 12 + today.month - 1 - count
    year, month = divmod(index, 12)
    return f"{year}-{month + 1:02d}", datetime(year, month + 1, 15, 2, 0, tzinfo=timezone.utc)


def registration(tag: str, name: str, at: datetime) -> EventEnvelope:
    pid = f"P-{tag}-{name}"
    return EventEnvelope(
        event_type="PersonRegistered", stream_id=f"person-{pid}", stream_type="Person", version=1, occurred_at=at,
        recorded_at=at, actor=COLLECTOR, correlation_id=f"late-{tag}", division_code=TOWN,
        payload={"person_id": pid, "name": name, "document_type": "id_card", "document_number": f"X-{tag}-{name}",
                 "category": "registered", "logic_errors": [], "division_code": TOWN})


async def publish(settings, envelope: EventEnvelope) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(events_topic("person", settings.namespace), envelope.to_bytes(),
                                     key=envelope.stream_id.encode(), headers=envelope.kafka_headers())
    finally:
        await producer.stop()


audit = pytest.fixture(scope="module", name="audit")(audit_service)


async def counted(audit, supervisor, month: str, persons: int) -> None:
    """Wait until the quality figures (kept as events arrive) count ``persons`` at the month's end."""
    end, _ = month_bounds(month)
    deadline = time.monotonic() + 90
    while True:
        answer = (await audit.get("/v1/audit/quality", headers=supervisor,
                                  params={"division_code": TOWN, "as_of": end.isoformat()})).json()
        if answer.get("persons_total") == persons or time.monotonic() > deadline:
            assert answer.get("persons_total") == persons, answer
            return
        await asyncio.sleep(0.5)


async def test_a_closed_month_is_frozen_and_a_late_event_is_a_correction_in_the_next_report(audit, settings):
    supervisor = headers(settings)
    tag = uuid.uuid4().hex[:8]
    month, mid_month = months_ago(3)
    following, _ = months_ago(2)
    first = registration(tag, "A", mid_month)
    await publish(settings, first)
    await archived_history(audit, supervisor, first.stream_id, 1)
    await counted(audit, supervisor, month, 1)

    async def report(of: str, **params) -> dict:
        answer = await audit.get(f"/v1/audit/reports/monthly/{of}", headers=supervisor,
                                 params={"division_code": TOWN, **params})
        assert answer.status_code == 200, answer.text
        return answer.json()

    published = await report(month)
    assert published["entities"]["person"]["total"]["persons_total"] == 1 and published["frozen_at"]

    late = registration(tag, "B", mid_month + timedelta(days=5))  # recorded in that month, archived only now
    await publish(settings, late)
    await archived_history(audit, supervisor, late.stream_id, 1)
    await counted(audit, supervisor, month, 2)  # the month's figures now say 2; its published report says 1

    assert await report(month) == published  # the published month does not change
    nxt = await report(following)
    assert [(c["month"], c["division_code"], c["published"], c["now"], c["difference"]) for c in nxt["corrections"]
            if c["metric"] == "persons_total" and c["row"] == "total"] == [(month, TOWN, 1, 2, 1)]
    assert nxt["entities"]["person"]["total"]["persons_total"] == 2
    assert nxt["entities"]["person"]["total"]["change"]["persons_total"] == 1  # against the published 1
    page = (await audit.get(f"/v1/audit/reports/monthly/{following}", headers=supervisor,
                            params={"division_code": TOWN, "format": "html"})).text
    assert "更正说明" in page and "（北京时间）" in page and "T02:00" not in page
