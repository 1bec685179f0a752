"""出租人变更 followed by the person service's readers of the house topic, on the real MongoDB through their
projections' handlers: a listed key person who takes over letting a house raises the watch's 出租房屋 alert, and
查人知住 shows them letting it (the former lessor no longer), in any interleaving of the topics."""

from __future__ import annotations

import random
import uuid

import pytest
from pymongo import AsyncMongoClient

from services.person.watch.alerts import ALERTS
from services.person.watch.projection import watch
from services.person.whereabouts import whereabouts
from tests.integration.views_story import (
    TOWNSHIP, Story, apply_interleaved, collections, interleavings, listing, registered,
)

pytestmark = pytest.mark.integration


def lessor_taken_over() -> tuple[Story, uuid.UUID]:
    story = Story()
    ids = story.ids
    story.person("father", "PersonRegistered", **registered("532503199001011234", "张伟"))
    story.person("lessor", "PersonRegistered", **registered("532503196004041267", "王强"))
    listing(story, "kp", "father")
    story.house("HouseRegistered", address_code=story.address, address_name="文澜街道某路18号",
                address_kind="doorplate", division_code=TOWNSHIP, property_nature="private", use="rented")
    story.house("RentalStarted", rental_id="R1", lessor={"person_id": ids["lessor"]}, lessor_role="owner",
                rooms_let=1, start="2026-01-02", security_person={"name": "王强"})
    replaced = story.house("RentalLessorReplaced", rental_id="R1", lessor={"person_id": ids["father"]},
                           lessor_role="agent", replaced_on="2026-02-01", reason="转由二房东出租")
    return story, replaced.event_id


async def test_a_replaced_lessor_is_watched_and_shown_letting_in_any_interleaving(settings):
    story, cause = lessor_taken_over()
    client = AsyncMongoClient(settings.mongodb_uri, tz_aware=True)
    tag = random.randint(10_000, 99_999)
    recorded = sorted((e for events in story.streams.values() for e in events), key=lambda e: e.occurred_at)
    try:
        for index, order in enumerate([recorded, *interleavings(story, 2, seed=tag)]):
            name = f"{settings.database_name('person')}-lessor{tag}-{index}"
            try:
                await apply_interleaved(settings, "person", watch, order, 1, database=name)
                alerts = [a async for a in client[name][ALERTS].find({}) if a["state"] != "withdrawn"]
                assert [(a["person_id"], a["rule"], a["cause_event_id"]) for a in alerts] == [
                    (story.ids["father"], "became_lessor", str(cause))], "one 出租房屋 alert, caused by the replacement"

                await apply_interleaved(settings, "person", whereabouts, order, 1, database=name)
                people = (await collections(settings, "person", whereabouts, 1, database=name))["whereabouts"]
                house_id = story.ids["house"]
                lets = people[story.ids["father"]]["houses"][house_id]["lets"]
                assert [(let["rental_id"], let["lessor"]["person_id"]) for let in lets] == [("R1", story.ids["father"])]
                assert house_id not in (people[story.ids["lessor"]].get("houses") or {}), "the former lessor lets no more"
            finally:
                await client.drop_database(name)
    finally:
        await client.close()
