"""On the real Kafka and SecantusDB: a seeded town's events published in an interleaved order across streams; the
quality figures the audit answers from its incremental counters equal a full re-fold of its archive, for every
level below the county and several days (the re-fold is the reference, not a request path)."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import pytest
from aiokafka import AIOKafkaProducer

from contracts.topics import events_topic
from services.audit.archive import NAME as ARCHIVE
from services.audit.domain.metrics import CHINA
from services.audit.views.archive import events
from services.audit.views.quality import refolded
from tests.audit_town import build, context_of, place_code
from tests.integration.audit_helpers import headers, running_audit
from tests.integration.figures_helpers import figures_caught_up
from tests.unit.figures_fakes import interleave

pytestmark = pytest.mark.integration
COUNTY = "532502"  #: not the county test_audit_quality.py plants its known counts in


@pytest.fixture(scope="module")
async def audit():
    manager, client = await running_audit()
    yield client
    await client.aclose()
    await manager.__aexit__(None, None, None)


async def publish(settings, envelopes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        for envelope in envelopes:
            await producer.send_and_wait(events_topic(context_of(envelope), settings.namespace), envelope.to_bytes(),
                                         key=envelope.stream_id.encode(), headers=envelope.kafka_headers())
    finally:
        await producer.stop()


async def test_incremental_figures_equal_the_refold_of_the_archive(audit, settings):
    town = build(persons=60, seed=11, county=COUNTY)
    arrivals = interleave(town.events, 11)
    await publish(settings, arrivals[:40] + arrivals)  # the first forty delivered twice
    await figures_caught_up(audit, dict(town.versions), projection=ARCHIVE)
    await figures_caught_up(audit, dict(town.versions))
    admin = headers(settings, role="admin", org="53")
    archive = events(audit.fastapi.state.runtime)
    scopes = [COUNTY, *town.townships, place_code(town.townships[0], "31", 1)]
    compared = 0
    for day in (date(2026, 9, 30), date(2026, 10, 3), date(2026, 10, 8), date(2026, 10, 14), date(2026, 10, 21),
                date(2026, 11, 20)):
        as_of = datetime.combine(day, time(23, 59, 59), CHINA)
        for scope in scopes:
            answer = await audit.get("/v1/audit/quality", headers=admin,
                                     params={"division_code": scope, "as_of": as_of.isoformat()})
            assert answer.status_code == 200, answer.text
            expected = json.loads(json.dumps(await refolded(archive, scope, as_of)))
            assert answer.json() == expected, (day, scope)
            compared += bool(expected["persons_total"])
    assert compared >= 10
    county = (await audit.get("/v1/audit/quality", headers=admin, params={
        "division_code": COUNTY, "as_of": (datetime.combine(date(2026, 10, 21), time(12), CHINA)).isoformat()})).json()
    held = county["by_sub_division"][COUNTY]  # persons registered at the county itself, in no township
    assert held["placed"] is False and held["persons_total"] > 0 and "not placed in a township" in held["name"]
    assert county["persons_linked"] < county["persons_total"]  # made-up 户室 codes and unknown addresses
    assert set(county["by_sub_division"]) == {COUNTY, *town.townships}
