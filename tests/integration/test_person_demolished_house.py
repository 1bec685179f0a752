"""No new residents at a demolished house (拆除/灭失, issue 18), on the real stack, from the person side: once the
house registry's HouseDemolished reaches the person service, a move-in to that address is refused naming the field
and the rule, while a house standing at the address again (rebuilt) lets people move in."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone

import pytest
from aiokafka import AIOKafkaProducer

from contracts.envelope import Actor, EventEnvelope
from contracts.house import HouseDemolished, HouseRegistered
from contracts.topics import events_topic
from tests.integration.address_helpers import TOWNSHIP, register_doorplate
from tests.integration.conftest import unique_name
from tests.integration.test_person_api import (  # noqa: F401 - person_client: the person service, in-process
    POLICE, known_to_replica, person_body, person_client, register,
)

pytestmark = pytest.mark.integration

PATIENCE = 90.0


async def house_events(settings, house_id: str, events: list) -> None:
    """``events`` as the house's stream (versions 1..n) on the real house topic, as the house registry writes it."""
    now = datetime.now(timezone.utc)
    actor = Actor(id="PC-DEMOLISH", role="police", organisation_code="532503")
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        for version, event in enumerate(events, start=1):
            envelope = EventEnvelope(event_type=type(event).__name__, stream_id=f"house-{house_id}",
                                     stream_type="House", version=version, occurred_at=now, recorded_at=now,
                                     actor=actor, correlation_id=f"demolish-{house_id}", division_code=TOWNSHIP,
                                     payload=event.model_dump(mode="json"))
            await producer.send_and_wait(events_topic("house", settings.namespace), envelope.to_bytes(),
                                         key=envelope.stream_id.encode(), headers=envelope.kafka_headers())
    finally:
        await producer.stop()


def registered_house(house_id: str, code: str) -> HouseRegistered:
    return HouseRegistered(house_id=house_id, address_code=code, address_kind="doorplate", division_code=TOWNSHIP,
                           property_nature="private", use="self_occupied", rooms=2)


async def move_in(client, person_id: str, code: str):
    return await client.post(f"/v1/persons/{person_id}/residence", headers=POLICE, json={
        "address_code": code, "moved_in": "2026-11-20", "reason": "务工"})


async def test_a_move_in_at_a_demolished_house_is_refused_and_a_rebuilt_one_takes_residents(
        person_client, address_client, police_headers, settings):
    plate = (await register_doorplate(address_client, police_headers, unique_name(), "3"))["code"]
    await known_to_replica(person_client, plate)
    person = await register(person_client, person_body("migrant"))
    gone = f"H{uuid.uuid4().hex[:16]}"
    await house_events(settings, gone, [registered_house(gone, plate),
                                        HouseDemolished(house_id=gone, on="2026-11-10", reason="拆除")])

    deadline = asyncio.get_running_loop().time() + PATIENCE
    while True:  # until the demolition reaches the person service (Kafka) a move-in is accepted: a fresh mover each try
        refused = await move_in(person_client, person["person_id"], plate)
        if refused.status_code == 422:
            break
        assert refused.status_code == 200, refused.text
        assert asyncio.get_running_loop().time() < deadline, "the demolition never reached the person service"
        await asyncio.sleep(0.5)
        person = await register(person_client, person_body("migrant"))  # a fresh mover: the last one moved in
    [detail] = refused.json()["detail"]
    assert (detail["loc"][-1], detail["type"]) == ("address_code", "house.demolished"), refused.text

    rebuilt = f"H{uuid.uuid4().hex[:16]}"
    await house_events(settings, rebuilt, [registered_house(rebuilt, plate)])
    deadline = asyncio.get_running_loop().time() + PATIENCE
    while (answer := await move_in(person_client, person["person_id"], plate)).status_code != 200:
        assert answer.json()["detail"][0]["type"] == "house.demolished", answer.text
        assert asyncio.get_running_loop().time() < deadline, "the rebuilt house never reached the person service"
        await asyncio.sleep(0.5)
