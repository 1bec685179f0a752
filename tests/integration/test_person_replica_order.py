"""The address replica converges to the same state whatever the interleaving of the address streams
(ARCHITECTURE.md "Any order across topics"): door plates registered before or after their road's rename, a merge
before or after the survivor's renumbering, a retirement, a building."""

from __future__ import annotations

import random
import uuid

import pytest

from contracts.envelope import Actor, EventEnvelope
from services.kernel.messaging.projection import physical_name
from services.kernel.messaging.projection_runner import ProjectionRunner
from services.replicas.address import address_replica, lookup_address
from services.kernel.messaging.runtime import mongo_client

pytestmark = pytest.mark.integration

ACTOR = Actor(id="PC-1", role="police", organisation_code="532503")
TOWNSHIP = "532503001"


def streams() -> dict[str, list[tuple[str, dict]]]:
    road, a, b, c = (f"{TOWNSHIP}{kind}{random.randint(10**12, 10**13 - 1)}" for kind in ("41", "50", "50", "50"))
    plate = {"division_code": TOWNSHIP, "place_code": road, "prefix": "", "suffix": "号"}
    return {
        f"place-{road}": [
            ("PlaceRegistered", {"code": road, "element_type": "41", "name": "旧名路", "parent_code": TOWNSHIP,
                                 "division_code": TOWNSHIP}),
            ("PlaceRenamed", {"code": road, "old_name": "旧名路", "new_name": "新名路", "reason": ""}),
        ],
        f"doorplate-{a}": [
            ("DoorplateRegistered", {**plate, "code": a, "place_name": "旧名路", "number": "1"}),
            ("DoorplateRenumbered", {"code": a, "old_prefix": "", "old_number": "1", "old_suffix": "号", "prefix": "",
                                     "number": "3", "suffix": "号", "reason": "整顿"}),
            ("BuildingStructureGenerated", {"code": a, "building": "1栋", "building_seq": 1, "units": 2, "floors": 6,
                                            "rooms_per_floor": 2, "room_count": 24}),
        ],
        f"doorplate-{b}": [
            ("DoorplateRegistered", {**plate, "code": b, "place_name": "新名路", "number": "5"}),
            ("DoorplateMergedInto", {"code": b, "survivor_code": a, "reason": "重复"}),
        ],
        f"doorplate-{c}": [
            ("DoorplateRegistered", {**plate, "code": c, "place_name": "旧名路", "number": "7"}),
            ("DoorplateRetired", {"code": c, "reason": "拆迁", "retired_on": "2026-10-01"}),
        ],
    }


def interleaving(events: dict[str, list[tuple[str, dict]]], rng: random.Random) -> list[EventEnvelope]:
    """A random order of all events that keeps each stream's own order (what Kafka guarantees)."""
    cursors = {stream: 0 for stream in events}
    order = []
    while cursors:
        stream = rng.choice(sorted(cursors))
        event_type, payload = events[stream][cursors[stream]]
        cursors[stream] += 1
        order.append(EventEnvelope(event_type=event_type, stream_id=stream, stream_type="Address",
                                   version=cursors[stream], actor=ACTOR, correlation_id="order", payload=payload))
        if cursors[stream] == len(events[stream]):
            del cursors[stream]
    return order


async def test_every_interleaving_converges_to_the_same_replica(settings):
    projection = address_replica(f"test-order-{uuid.uuid4().hex[:6]}")
    client = mongo_client(settings)
    db = client[settings.database_name("replicatest")]
    events, rng, snapshots = streams(), random.Random(11), []
    try:
        for generation in range(1, 9):
            runner = ProjectionRunner(projection, client, db, None, settings.namespace, generation=generation)
            for offset, envelope in enumerate(interleaving(events, rng)):
                outcome = await runner.handle_record(envelope.to_bytes(), envelope.stream_id.encode(), [],
                                                     "address", 0, offset)
                assert outcome == "applied", outcome
            collection = db[physical_name(projection.name, generation)]
            snapshots.append({doc["_id"]: doc async for doc in collection.find({})})
            if generation == 1:
                a, b, c = (stream.split("-", 1)[1] for stream in list(events)[1:])
                merged = await lookup_address(collection, b)
                assert merged.code == a and merged.redirected_from == b and merged.full_name.endswith("新名路3号")
                assert (await lookup_address(collection, c)).status == "retired"
        for other in snapshots[1:]:
            assert other == snapshots[0]
    finally:
        await client.close()
