"""Persons as another context sees them: PersonRegistered (and PersonCancelled) published on the real person topic,
then awaited in a service's person replica, so a house or unit command can link them (issue 16: a command naming
a person checks the replica)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone

from aiokafka import AIOKafkaProducer

from contracts.envelope import Actor, EventEnvelope
from contracts.person import PersonCancelled, PersonRegistered
from contracts.topics import events_topic
from services.replicas.person import PERSONS
from tests.integration.views_story import registered

ACTOR = Actor(id="PC-FACTS", role="police", organisation_code="532503")


def envelope(person_id: str, version: int, event_type: str, division: str, payload: dict) -> EventEnvelope:
    now = datetime.now(timezone.utc)
    return EventEnvelope(event_type=event_type, stream_id=f"person-{person_id}", stream_type="Person", version=version,
                         occurred_at=now, recorded_at=now, actor=ACTOR, correlation_id=f"facts-{person_id}",
                         division_code=division, payload=payload)


async def published_person(settings, division: str = "532503001", cancelled: bool = False,
                           name: str = "测试人") -> str:
    """A new person of ``division`` on the person topic (cancelled when asked); returns its id."""
    person_id = f"P-{uuid.uuid4().hex[:12]}"
    number = f"53250{uuid.uuid4().int % 10**13:013d}"
    events = [envelope(person_id, 1, "PersonRegistered", division, PersonRegistered.model_validate(
        {**registered(number, name), "person_id": person_id, "division_code": division}).model_dump(mode="json"))]
    if cancelled:
        events.append(envelope(person_id, 2, "PersonCancelled", division, PersonCancelled(
            person_id=person_id, reason="death", cancelled_on="2026-11-01").model_dump(mode="json")))
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(events_topic("person", settings.namespace), event.to_bytes(),
                                         key=event.stream_id.encode(), headers=event.kafka_headers())
    finally:
        await producer.stop()
    return person_id


async def known_to(client, projection: str, person_id: str, status: str = "active", timeout: float = 90.0) -> None:
    """Wait until the in-process service behind ``client`` has ``person_id`` in its person replica ``projection``."""
    rt = client.fastapi.state.runtime
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        document = await rt.read_model(projection, PERSONS).find_one({"_id": person_id})
        if document is not None and document.get("status") == status:
            return
        assert asyncio.get_running_loop().time() < deadline, f"{person_id} never reached {projection}"
        await asyncio.sleep(0.1)


async def linkable(settings, client, projection: str, division: str = "532503001", cancelled: bool = False) -> str:
    """A person published and seen by ``client``'s replica."""
    person_id = await published_person(settings, division, cancelled)
    await known_to(client, projection, person_id, "cancelled" if cancelled else "active")
    return person_id
