"""Integration feeds on the real stack: a record registered and changed in its registry reaches its compacted feed
topics as its current state, keyed by its id, with its version, masked for each topic's grant; a subscriber reads
as a new consumer group from the earliest offset (docs/FEEDS.md)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import OffsetAndMetadata
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from asgi_lifespan import LifespanManager

from contracts.feeds import FeedMessage, feed_group, feed_topic
from contracts.topics import events_topic
from services.feeds.publisher import feed_publisher
from services.feeds.sources import sources_of
from services.feeds.states import feed_message
from services.kernel.messaging.projection import physical_name
from services.kernel.messaging.read_models import LiveReadModels
from tests.integration.address_helpers import register_doorplate
from tests.integration.conftest import unique_name
from tests.integration.test_house_registry import house_client, new_plate, register_house  # noqa: F401 - fixture
from tests.integration.test_person_api import POLICE, SUPERVISOR, person_body, register
from tests.integration.test_unit_registry import plate_known_to_units, register_unit, unit_client  # noqa: F401

pytestmark = pytest.mark.integration

PROVINCE, HEALTH = "provincial-exchange", "mz-health"  #: shipped subscribers (services/feeds/subscribers.json)


@pytest.fixture(scope="module")
async def person_client():
    from services.person.app import build_app

    app = build_app()
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=120) as manager:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://person") as client:
            client.fastapi = app
            yield client


async def feed_messages(settings, entity: str, record_id: str, until, subscriber: str | None = None,
                        timeout: float = 120.0) -> list[FeedMessage]:
    """Read the topic as a new subscriber would (a fresh consumer group, from the earliest offset) until the messages
    of ``record_id`` read so far, in order, satisfy ``until``; fails naming the last one seen."""
    topic = feed_topic(entity, settings.namespace, subscriber)
    consumer = AIOKafkaConsumer(topic, **settings.kafka_client_options(), enable_auto_commit=False,
                                group_id=f"{feed_group(subscriber or 'shared', settings.namespace)}-{uuid.uuid4().hex[:8]}",
                                auto_offset_reset="earliest", metadata_max_age_ms=1000)
    await consumer.start()
    seen: list[FeedMessage] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            for messages in (await consumer.getmany(timeout_ms=500)).values():
                seen += [FeedMessage.model_validate_json(record.value) for record in messages
                         if record.key == record_id.encode()]
            if seen and until(seen):
                return seen
        raise AssertionError(f"{topic}: {record_id} never as expected; last seen {seen[-1:]}")
    finally:
        await consumer.stop()


def held(messages: list[FeedMessage]) -> FeedMessage:
    """What a subscriber holds after ``messages``: it applies a message only when its version is greater."""
    holding = messages[0]
    for message in messages[1:]:
        holding = message if message.version > holding.version else holding
    return holding


async def feed_state(settings, entity: str, record_id: str, check, subscriber: str | None = None) -> FeedMessage:
    """The state a subscriber holds once ``check`` holds for it."""
    return held(await feed_messages(settings, entity, record_id, lambda seen: check(held(seen)), subscriber))


async def test_a_person_registered_then_corrected_reaches_every_feed_masked_per_grant(person_client, settings):
    body = person_body("registered", phone="13800138000")
    accepted = await register(person_client, body)
    person_id, number = accepted["person_id"], body["document_number"]

    first = await feed_state(settings, "person", person_id, lambda m: m.version >= 1)
    assert first.record_id == person_id and first.entity == "person" and first.schema_version == 1
    assert first.state["person_id"] == person_id and first.grant == []
    assert first.state["document_number"] == number[:4] + "*" * 10 + number[-4:]
    assert first.state["name"] == body["name"][0] + "*" * (len(body["name"]) - 1)
    assert first.state["phone"].endswith("****8000") and "document_number_reversed" not in first.state

    response = await person_client.post(f"/v1/persons/{person_id}/corrections", headers=POLICE, json={
        "changes": {"occupation": "厨师"}, "reason_code": "01", "remark": "订阅测试", "expected_version": 1})
    assert response.status_code == 200, response.text
    newer = await feed_state(settings, "person", person_id, lambda m: m.version >= 2)
    assert newer.version == 2 and newer.state["occupation"] == "厨师"

    province = await feed_state(settings, "person", person_id, lambda m: m.version >= 2, PROVINCE)
    assert province.state["document_number"] == number and province.state["name"] == body["name"]
    assert "key_person" in province.grant
    health = await feed_state(settings, "person", person_id, lambda m: m.version >= 2, HEALTH)
    assert health.grant == ["name"] and health.state["name"] == body["name"]
    assert health.state["document_number"] != number and health.state["phone"].endswith("****8000")


async def test_a_door_plate_and_its_new_alias_on_the_doorplate_feed(address_client, police_headers, settings):
    plate = await register_doorplate(address_client, police_headers, unique_name(), "21")
    first = await feed_state(settings, "doorplate", plate["code"], lambda m: m.version >= 1)
    assert first.state["code"] == plate["code"] and first.context == "address"
    response = await address_client.post(f"/v1/doorplates/{plate['code']}/aliases", headers=police_headers,
                                         json={"alias": "订阅大院", "expected_version": plate["version"]})
    assert response.status_code == 200, response.text
    newer = await feed_state(settings, "doorplate", plate["code"], lambda m: m.version >= 2)
    assert newer.version == 2 and "订阅大院" in newer.state["aliases"]


async def test_a_house_on_the_feed_with_its_owner_masked_but_whole_for_the_province(
        address_client, house_client, police_headers, settings):  # noqa: F811 - the imported fixture
    plate = await new_plate(address_client, house_client, police_headers)
    owner = {"name": "赵强", "document_type": "id_card", "document_number": "11010519491231002X"}
    accepted = await register_house(house_client, police_headers, plate["code"], owner=owner)
    shared = await feed_state(settings, "house", accepted["house_id"], lambda m: m.version >= 1)
    assert shared.state["house_id"] == accepted["house_id"] and shared.state["address_code"] == plate["code"]
    assert shared.state["owner"]["name"] == "赵*" and shared.state["owner"]["document_number"] == "1101**********002X"
    province = await feed_state(settings, "house", accepted["house_id"], lambda m: m.version >= 1, PROVINCE)
    assert province.state["owner"] == {**province.state["owner"], **owner}


async def test_feed_topics_are_compacted_and_key_persons_have_no_shared_topic(person_client, settings):
    ns = settings.namespace
    names = [feed_topic("person", ns), feed_topic("person", ns, HEALTH), feed_topic("key_person", ns, PROVINCE)]
    admin = AIOKafkaAdminClient(**settings.kafka_client_options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        assert set(names) <= existing and f"{ns}.feed.key_person" not in existing
        described = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name) for name in names])
        policies = {resource[3]: {entry[0]: entry[1] for entry in resource[4]}["cleanup.policy"]
                    for response in described for resource in response.resources}
        assert policies == dict.fromkeys(names, "compact")
    finally:
        await admin.close()


async def reset_to_end(settings, topic: str, group: str) -> None:
    """Commit ``group``'s offsets at the topic's current end, as an operator resets a group to a point in time: the
    replay below starts there, not at offset 0 (whatever the suite wrote before would come first)."""
    admin = AIOKafkaAdminClient(**settings.kafka_client_options())
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    partitions = [TopicPartition(topic, entry["partition"]) for entry in described["partitions"]]
    assert partitions, f"{topic} has no partitions"
    consumer = AIOKafkaConsumer(**settings.kafka_client_options(), group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.commit({tp: OffsetAndMetadata(offset, "") for tp, offset in ends.items()})
    finally:
        await consumer.stop()


async def test_a_replay_of_the_event_topic_publishes_the_same_states_with_the_same_versions(person_client, settings):
    """A replay (a publisher in a new consumer group reads the events again, as after an offset reset or a rebuild)
    republishes: every version a subscriber may receive twice carries the same state both times."""
    group = f"replay-{uuid.uuid4().hex[:6]}"
    await reset_to_end(settings, events_topic("person", settings.namespace), f"{settings.namespace}.person-{group}")
    accepted = await register(person_client, person_body("registered"))
    person_id = accepted["person_id"]
    await feed_state(settings, "person", person_id, lambda m: m.version >= 1)
    rt = person_client.fastapi.state.runtime
    replay = asyncio.create_task(feed_publisher("person", sources_of("person"), group=group)(
        rt.settings, LiveReadModels(rt), rt.consumer_group))
    try:
        messages = await feed_messages(settings, "person", person_id,
                                       lambda seen: sum(message.version == 1 for message in seen) >= 2)
    finally:
        replay.cancel()
        await asyncio.gather(replay, return_exceptions=True)
    by_version: dict[int, list[dict]] = {}
    for message in messages:
        by_version.setdefault(message.version, []).append(message.state)
    assert all(states == [states[0]] * len(states) for states in by_version.values())


async def test_the_feeds_command_creates_every_feed_compacted(settings):
    repo = Path(__file__).resolve().parents[2]  # this tree's code, whatever the virtualenv's install points at
    result = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "services.kernel.operations.cli", "feeds",
                                                      "--create"], capture_output=True, text=True, timeout=120,
                                     cwd=repo, env={**os.environ, "YBSS_NAMESPACE": settings.namespace})
    assert result.returncode == 0, result.stderr
    name = feed_topic("unit", settings.namespace, PROVINCE)
    admin = AIOKafkaAdminClient(**settings.kafka_client_options())
    await admin.start()
    try:
        described = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name)])
        configs = {entry[0]: entry[1] for response in described for resource in response.resources
                   for entry in resource[4]}
        assert configs["cleanup.policy"] == "compact"
    finally:
        await admin.close()


async def test_a_unit_with_its_phone_masked_on_the_shared_feed(address_client, unit_client, police_headers,
                                                             settings):  # noqa: F811 - the imported fixture
    plate = await plate_known_to_units(address_client, unit_client, police_headers)
    accepted = await register_unit(unit_client, police_headers, plate["code"], phone="13800138000")
    shared = await feed_state(settings, "unit", accepted["unit_id"], lambda m: m.version >= 1)
    assert shared.state["unit_id"] == accepted["unit_id"] and shared.state["name"] == "蒙自天马宾馆"
    assert shared.state["phone"] != "13800138000" and shared.state["phone"].endswith("8000")
    province = await feed_state(settings, "unit", accepted["unit_id"], lambda m: m.version >= 1, PROVINCE)
    assert province.state["phone"] == "13800138000"


async def test_a_key_person_listing_reaches_only_the_subscriber_granted_key_persons(person_client, settings):
    person = await register(person_client, person_body("registered"))
    response = await person_client.post("/v1/key-persons", headers=POLICE, json={
        "person_id": person["person_id"], "category_code": "04", "problem": "订阅测试", "responsible_unit": "文澜派出所",
        "responsible_officer": "PC-0001", "control_level": "2"})
    assert response.status_code == 201, response.text
    kid = response.json()["key_person_id"]
    applied = await feed_state(settings, "key_person", kid, lambda m: m.version >= 1, PROVINCE)
    assert applied.state["key_person_id"] == kid and applied.state["state"] == "applied"
    approved = await person_client.post(f"/v1/key-persons/{kid}/approve", json={"remark": "同意"}, headers=SUPERVISOR)
    assert approved.status_code == 200, approved.text
    listed = await feed_state(settings, "key_person", kid, lambda m: m.version >= 2, PROVINCE)
    assert listed.version == 2 and listed.state["state"] == "listed"


async def test_a_rebuilt_registry_gives_the_feed_the_same_states_at_the_same_versions(person_client, settings):
    """``ybss rebuild`` of the person registry: the rebuilt documents make exactly the messages the feed carries, so
    once it is swapped in, whatever is published again is the same state with the same version."""
    from services.kernel.operations.rebuild import rebuild
    from services.person.projections import registry
    from tests.integration.test_rebuild import caught_up_with_the_log

    accepted = await register(person_client, person_body("registered", phone="13800138000"))
    person_id = accepted["person_id"]
    response = await person_client.post(f"/v1/persons/{person_id}/corrections", headers=POLICE, json={
        "changes": {"occupation": "电工"}, "reason_code": "01", "expected_version": 1})
    assert response.status_code == 200, response.text
    published = await feed_state(settings, "person", person_id, lambda m: m.version >= 2, PROVINCE)

    rt = person_client.fastapi.state.runtime
    await caught_up_with_the_log(settings, rt.runners[registry.name])
    report = await rebuild(settings, "person", registry, swap=False)
    rebuilt = await rt.db[physical_name("persons", report.generation)].find_one({"_id": person_id})
    source = sources_of("person")[0]
    again = feed_message(source, "person", rebuilt, frozenset(published.grant))
    assert again.model_dump() == published.model_dump()
