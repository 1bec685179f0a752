"""The life of a family in a rented flat, as the source streams' events (person, house, unit topics), and a
harness that applies them through a projection's real handlers on the real MongoDB in a chosen interleaving:
each stream's events in order (as the runner guarantees), streams spread over two "partitions" applied by
concurrent workers in separate transactions (write conflicts retried as the live consumer does)."""

from __future__ import annotations

import asyncio
import random
import uuid
import zlib
from datetime import datetime, timedelta, timezone

from pymongo import AsyncMongoClient

from contracts.envelope import Actor, EventEnvelope
from services.kernel.messaging.failures import is_infrastructure
from services.kernel.messaging.projection import physical_name
from services.kernel.messaging.projection_runner import ProjectionRunner

TOWNSHIP = "532503001"
ACTOR = Actor(id="PC-0001", role="police", organisation_code="532503")
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


class Story:
    """Builds streams of envelopes; ``ids`` are fresh per story so stories never collide."""

    NAMES = ("father", "mother", "child", "lessor", "house", "unit", "kp", "house2", "unit2", "kp2", "other")

    def __init__(self) -> None:
        tag = uuid.uuid4().hex[:8]
        self.ids = {name: f"{name}{tag}" for name in self.NAMES}
        self.address = "5325030010010000" + tag[:8].translate(str.maketrans("abcdef", "123456"))
        self.streams: dict[str, list[EventEnvelope]] = {}
        self.clock = 0

    def add(self, stream_type: str, stream_id: str, event_type: str, **payload) -> EventEnvelope:
        events = self.streams.setdefault(stream_id, [])
        self.clock += 1
        envelope = EventEnvelope(event_type=event_type, stream_id=stream_id, stream_type=stream_type,
                                 version=len(events) + 1, occurred_at=T0 + timedelta(minutes=self.clock),
                                 recorded_at=T0 + timedelta(minutes=self.clock), actor=ACTOR,
                                 correlation_id=f"corr-{stream_id}-{len(events) + 1}", division_code=TOWNSHIP,
                                 payload=payload)
        events.append(envelope)
        return envelope

    def person(self, who: str, event_type: str, **payload) -> EventEnvelope:
        return self.add("Person", f"person-{self.ids[who]}", event_type, person_id=self.ids[who], **payload)

    def house(self, event_type: str, which: str = "house", **payload) -> EventEnvelope:
        return self.add("House", f"house-{self.ids[which]}", event_type, house_id=self.ids[which], **payload)

    def unit(self, event_type: str, which: str = "unit", **payload) -> EventEnvelope:
        return self.add("Unit", f"unit-{self.ids[which]}", event_type, unit_id=self.ids[which], **payload)

    def key_person(self, event_type: str, which: str = "kp", **payload) -> EventEnvelope:
        return self.add("KeyPerson", f"keyperson-{self.ids[which]}", event_type, key_person_id=self.ids[which],
                        **payload)


def registered(number: str, name: str, category: str = "migrant", sex: str = "male") -> dict:
    details = {"category": "migrant", "residence_reason": "work", "arrival_date": "2026-01-01", "origin": "四川省广安市",
               "residence_type": "rental", "renting": True, "registration_valid_until": "2026-12-31"}
    return {"document_type": "id_card", "document_number": number, "name": name, "sex": sex,
            "birth_date": "1990-01-01", "category": category, "details": details, "division_code": TOWNSHIP}


def family_in_a_rented_flat() -> Story:
    """Move in, tenants join, one moves out, the rental ends; the father works at a hotel and is a key person."""
    story = Story()
    ids, address = story.ids, story.address
    for who, number, name in (("father", "532503199001011234", "张伟"), ("mother", "532503199102021245", "李娜"),
                              ("child", "532503201503031256", "张小明"), ("lessor", "532503196004041267", "王强")):
        story.person(who, "PersonRegistered", **registered(number, name))
    story.house("HouseRegistered", address_code=address, address_name="文澜街道某路18号", address_kind="doorplate",
                division_code=TOWNSHIP, property_nature="private", use="rented", owner={"person_id": ids["lessor"]})
    story.house("RentalStarted", rental_id="R1", lessor={"person_id": ids["lessor"]}, lessor_role="owner", rooms_let=3,
                start="2026-01-02", security_person={"person_id": ids["lessor"]})
    for who in ("father", "mother", "child"):
        story.house("TenantMovedIn", rental_id="R1", person_id=ids[who], moved_in="2026-01-03")
        story.person(who, "ResidenceRegistered", address_code=address, address_name="文澜街道某路18号",
                     moved_in="2026-01-03", reason="租住", residence_type="rental", lessor_name="王强",
                     division_code=TOWNSHIP)
    story.unit("UnitRegistered", name="某宾馆", unit_type="enterprise", industry_code="H61",
               address_code=address[:-1] + "9", division_code=TOWNSHIP)
    story.unit("SpecialTradeAdded", trade="hotel", since="2026-01-01")
    story.unit("EmployeeHired", person_id=ids["father"], position="前台", hired="2026-01-05")
    story.key_person("KeyPersonListingApplied", person_id=ids["father"], category_code="01", problem="涉稳",
                     responsible_unit="文澜派出所", responsible_officer="PC-0001", control_level="一般",
                     division_code=TOWNSHIP)
    story.key_person("KeyPersonListed")
    story.house("TenantMovedOut", rental_id="R1", person_id=ids["child"], moved_out="2026-06-01")
    story.person("child", "ResidenceEnded", address_code=address, moved_out="2026-06-01", reason="就学")
    story.unit("EmployeeLeft", person_id=ids["father"], left="2026-07-01")
    story.unit("EmployeeHired", person_id=ids["mother"], position="保洁", hired="2026-07-02")
    story.house("RentalEnded", rental_id="R1", ended_on="2026-09-30", reason="到期")
    return story


def listing(story: Story, which: str, person: str, division: str = TOWNSHIP) -> None:
    story.key_person("KeyPersonListingApplied", which, person_id=story.ids[person], category_code="01", problem="涉稳",
                     responsible_unit="文澜派出所", responsible_officer="PC-0001", control_level="一般",
                     division_code=division)
    story.key_person("KeyPersonListed", which)


def key_person_on_the_move() -> Story:
    """A listed key person (the father) becomes a tenant, registers the address, is hired by a hotel and by a
    plain unit, lets a flat, is released, then moves again (no alert); a second key person (the mother) is
    cancelled; someone never listed (other) moves (no alert)."""
    story = Story()
    ids = story.ids
    for who, number, name in (("father", "532503199001011234", "张伟"), ("mother", "532503199102021245", "李娜"),
                              ("other", "532503198806061278", "赵六")):
        story.person(who, "PersonRegistered", **registered(number, name))
    listing(story, "kp", "father")
    listing(story, "kp2", "mother")
    story.house("HouseRegistered", address_code=story.address, address_name="文澜街道某路18号",
                address_kind="doorplate", division_code=TOWNSHIP, property_nature="private", use="rented")
    story.house("RentalStarted", rental_id="R1", lessor={"name": "王强"}, lessor_role="owner", rooms_let=1,
                start="2026-01-02", security_person={"name": "王强"})
    story.house("TenantMovedIn", rental_id="R1", person_id=ids["father"], moved_in="2026-01-03")
    story.person("father", "ResidenceRegistered", address_code=story.address, address_name="文澜街道某路18号",
                 moved_in="2026-01-03", reason="租住", residence_type="rental", division_code=TOWNSHIP)
    story.unit("UnitRegistered", name="某宾馆", unit_type="enterprise", industry_code="H61",
               address_code=story.address, division_code=TOWNSHIP)
    story.unit("SpecialTradeAdded", trade="hotel", since="2026-01-01")
    story.unit("EmployeeHired", person_id=ids["father"], position="前台", hired="2026-01-05")
    story.unit("UnitRegistered", "unit2", name="某超市", unit_type="enterprise", industry_code="F52",
               address_code=story.address, division_code=TOWNSHIP)
    story.unit("EmployeeHired", "unit2", person_id=ids["father"], position="理货", hired="2026-02-01")
    story.house("HouseRegistered", "house2", address_code=story.address[:-1] + "8", address_name="文澜街道某路20号",
                address_kind="doorplate", division_code=TOWNSHIP, property_nature="private", use="rented")
    story.house("RentalStarted", "house2", rental_id="R9", lessor={"person_id": ids["father"]}, lessor_role="agent",
                rooms_let=1, start="2026-03-01", security_person={"person_id": ids["father"]})
    story.person("other", "ResidenceRegistered", address_code=story.address, moved_in="2026-03-02", reason="租住",
                 division_code=TOWNSHIP)
    story.person("mother", "PersonCancelled", reason="moved_away", cancelled_on="2026-03-03")
    story.key_person("KeyPersonReleaseApplied", reason="表现良好")
    story.key_person("KeyPersonReleased")
    story.person("father", "ResidenceRegistered", address_code=story.address[:-1] + "8", moved_in="2026-04-01",
                 reason="租住", division_code=TOWNSHIP)
    return story


EXPECTED_RULES = {("father", "became_tenant"), ("father", "moved"), ("father", "hired_special_trade"),
                  ("father", "hired"), ("father", "became_lessor"), ("mother", "cancelled")}


def interleavings(story: Story, count: int, seed: int) -> list[list[EventEnvelope]]:
    """``count`` random merges of the streams, each keeping every stream's own order."""
    rng, orders = random.Random(seed), []
    for _ in range(count):
        queues = {stream: list(events) for stream, events in story.streams.items()}
        order = []
        while queues:
            stream = rng.choice(sorted(queues))
            order.append(queues[stream].pop(0))
            if not queues[stream]:
                del queues[stream]
        orders.append(order)
    return orders


async def apply_interleaved(settings, context: str, projection, order: list[EventEnvelope], generation: int,
                            partitions: int = 2, database: str | None = None) -> ProjectionRunner:
    """Apply ``order`` through the projection's handlers: per-partition workers, concurrent transactions."""
    client = AsyncMongoClient(settings.mongodb_uri, tz_aware=True)
    runner = ProjectionRunner(projection, client, client[database or settings.database_name(context)], None,
                              settings.namespace, generation=generation)
    lanes: list[list[EventEnvelope]] = [[] for _ in range(partitions)]
    for envelope in order:
        lanes[zlib.crc32(envelope.stream_id.encode()) % partitions].append(envelope)

    async def worker(lane: list[EventEnvelope]) -> None:
        for envelope in lane:
            for attempt in range(50):
                try:
                    await runner.apply_one(envelope)
                    break
                except Exception as error:  # noqa: BLE001 - a write conflict is retried like the live consumer
                    if not is_infrastructure(error) or attempt == 49:
                        raise
                    await asyncio.sleep(0.005 * (attempt + 1))
            await asyncio.sleep(0)

    await asyncio.gather(*(worker(lane) for lane in lanes))
    return runner


async def collections(settings, context: str, projection, generation: int, database: str | None = None) -> dict:
    """Every read-model collection of ``generation``, as {collection: {id: document}}."""
    client = AsyncMongoClient(settings.mongodb_uri, tz_aware=True)
    db = client[database or settings.database_name(context)]
    return {name: {doc["_id"]: doc async for doc in db[physical_name(name, generation)].find({})}
            for name in projection.collections}


async def drop_generation(settings, context: str, projection, generation: int) -> None:
    client = AsyncMongoClient(settings.mongodb_uri, tz_aware=True)
    db = client[settings.database_name(context)]
    for name in [*projection.collections, f"{projection.name}.checkpoints", f"{projection.name}.parked"]:
        await db.drop_collection(physical_name(name, generation))
