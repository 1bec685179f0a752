"""The key-person watch on the real MongoDB, through its projection's handlers: each rule fires once for its
event, in whatever interleaving the source topics arrive (a listing applied after the events it covers still
raises them), never for someone not listed or after a release, and never again on a replay or a rebuild."""

from __future__ import annotations

import random
import uuid

import pytest
from pymongo import AsyncMongoClient

from services.person.watch.alerts import ALERT_EVENTS, ALERTS
from services.person.watch.projection import watch
from tests.integration.views_story import (
    EXPECTED_RULES, apply_interleaved, collections, interleavings, key_person_on_the_move,
)

pytestmark = pytest.mark.integration
ORDERS = 3


def alert_facts(alerts: dict, story) -> set[tuple]:
    names = {value: key for key, value in story.ids.items()}
    return {(names[a["person_id"]], a["rule"], a["cause_event_id"], a["division_code"], a["correlation_id"])
            for a in alerts.values() if a["state"] != "withdrawn"}


async def alerts_in(db) -> dict:
    return {document["_id"]: document async for document in db[ALERTS].find({})}


async def test_each_rule_fires_once_in_any_interleaving_and_never_again(settings):
    story = key_person_on_the_move()
    client = AsyncMongoClient(settings.mongodb_uri, tz_aware=True)
    recorded = sorted((e for events in story.streams.values() for e in events), key=lambda e: e.occurred_at)
    tag = random.randint(10_000, 99_999)
    results, first_db = [], None
    for index, order in enumerate([recorded, *interleavings(story, ORDERS, seed=tag)]):
        name = f"{settings.database_name('person')}-watch{tag}-{index}"
        await apply_interleaved(settings, "person", watch, order, 1, database=name)
        db = client[name]
        alerts = await alerts_in(db)
        results.append((await collections(settings, "person", watch, 1, database=name), alert_facts(alerts, story)))
        if index == 0:
            first_db = name
        else:
            await client.drop_database(name)

    expected = {rule for rule in EXPECTED_RULES}
    for read_model, facts in results:
        assert read_model == results[0][0], "the watch read model depends on the interleaving"
        assert {(who, rule) for who, rule, *_ in facts} == expected
        assert facts == results[0][1]
        assert len(facts) == len(expected), "one alert per causing event (a late release withdraws its alert)"
    causes = {event.event_id: event for events in story.streams.values() for event in events}
    for who, rule, cause, division, correlation in results[0][1]:
        assert causes[uuid.UUID(cause)].correlation_id == correlation and division == "532503001"

    db = client[first_db]
    before_alerts, before_outbox = await alerts_in(db), await db[ALERT_EVENTS].count_documents({})
    assert before_outbox == sum(alert["version"] for alert in before_alerts.values()), "each alert event in the outbox once"
    # replay (a redelivery of every event) and a rebuild into a fresh generation: nothing new is raised
    await apply_interleaved(settings, "person", watch, recorded, 1, database=first_db)
    await apply_interleaved(settings, "person", watch, interleavings(story, 1, seed=tag + 7)[0], 2, database=first_db)
    assert await alerts_in(db) == before_alerts
    assert await db[ALERT_EVENTS].count_documents({}) == before_outbox
    rebuilt = await collections(settings, "person", watch, 2, database=first_db)
    assert rebuilt == results[0][0], "the rebuilt watch equals the live one"
    await client.drop_database(first_db)
