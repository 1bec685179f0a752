"""Every read model an initial load feeds ends the same applied per batch as one event at a time (issue 17).

A load's stream (tests/load_stream.py: registrations, move-ins, houses let with tenants, key persons listed) and
then the changes of daily work (a correction, a house's use changed, which rewrites persons the event does not
name, a tenant moving out, a unit hiring a listed key person and a person later cancelled, the key person moving
in and being released) go through the real runner on the real database twice: in the live consumer's batches
(documents read ahead, read back from memory, writes merged and sent once per batch) and one event at a time
(the path a batch falls back to). Every collection of each projection holds the same documents, byte for byte,
and the watch raised the same alerts.
"""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from bson.raw_bson import RawBSONDocument

from contracts.envelope import EventEnvelope
from contracts.house import HouseUseChanged, TenantMovedOut
from contracts.person import (
    KeyPersonReleaseApplied, KeyPersonReleased, PersonCancelled, PersonCorrected, ResidenceRegistered,
)
from contracts.unit import EmployeeHired, SpecialTradeAdded, UnitRegistered
from services.audit.archive import archive
from services.house.occupants import occupants
from services.kernel.messaging.batching import BatchLimits
from services.kernel.messaging.projection import physical_name
from services.kernel.messaging.projection_runner import ProjectionRunner
from services.kernel.messaging.runtime import mongo_client
from services.person.projections import registry
from services.person.watch.alerts import ALERTS
from services.person.watch.projection import watch
from services.person.whereabouts import whereabouts
from services.unit.persons import persons
from tests.load_stream import TOWNSHIPS, Stream, load, plate, records

PERSONS = 120


def daily_work(stream: Stream) -> list[EventEnvelope]:
    """Changes after the load, each through its contract class."""
    run, town = stream.run, TOWNSHIPS[0]
    stream.add("Person", f"person-P-{run}-1", PersonCorrected(
        person_id=f"P-{run}-1", changes={"name": "李改"}, old_values={"name": "李1"}, reason_code="01"), town)
    stream.add("House", f"house-H-{run}-19", HouseUseChanged(house_id=f"H-{run}-19", use="self_occupied"), town)
    stream.add("House", f"house-H-{run}-39", TenantMovedOut(
        house_id=f"H-{run}-39", rental_id="R1", person_id=f"P-{run}-37", moved_out=date(2026, 11, 1)), town)
    unit = f"U-{run}-1"
    stream.add("Unit", f"unit-{unit}", UnitRegistered(
        unit_id=unit, name="蒙自天马宾馆", unit_type="individual_business", industry_code="H61",
        address_code=plate(town, 7), division_code=town), town)
    stream.add("Unit", f"unit-{unit}", SpecialTradeAdded(unit_id=unit, trade="hotel", since=date(2026, 9, 1)), town)
    for person in (50, 3):
        stream.add("Unit", f"unit-{unit}", EmployeeHired(
            unit_id=unit, person_id=f"P-{run}-{person}", position="前台", hired=date(2026, 11, 5)), town)
    stream.add("Person", f"person-P-{run}-3", PersonCancelled(
        person_id=f"P-{run}-3", reason="moved_away", cancelled_on=date(2026, 11, 6)), town)
    stream.add("Person", f"person-P-{run}-50", ResidenceRegistered(
        person_id=f"P-{run}-50", address_code=plate(town, 99), moved_in=date(2026, 11, 7), reason="迁居"), town)
    stream.add("KeyPerson", f"keyperson-K-{run}-50", KeyPersonReleaseApplied(key_person_id=f"K-{run}-50",
                                                                            reason="表现良好"), town)
    stream.add("KeyPerson", f"keyperson-K-{run}-50", KeyPersonReleased(key_person_id=f"K-{run}-50"), town)
    return stream.events


async def applied(projection, client, db, events: list[EventEnvelope], batched: bool) -> dict[str, list[bytes]]:
    for logical in projection.collections:
        await db.create_collection(physical_name(logical, 1))
    runner = ProjectionRunner(projection, client, db, None, "loadtest", generation=1,
                              limits=BatchLimits(max_events=64))
    await runner.ensure_indexes()
    polled = records(events, projection.sources)
    done = 0
    while done < len(polled):
        if batched:
            done += await runner.apply_batch(polled[done:])
        else:
            assert await runner._handle(polled[done]) == "applied"
            done += 1
    raw = db.codec_options.with_options(document_class=RawBSONDocument)
    stored = {}
    for logical in [*projection.collections, f"{projection.name}.checkpoints"]:
        collection = db.get_collection(physical_name(logical, 1), codec_options=raw)
        stored[logical] = [document.raw async for document in collection.find().sort("_id", 1)]
    alerts = db[ALERTS].find().sort("_id", 1)
    stored["alerts"] = [(alert["_id"], alert["state"], alert["version"]) async for alert in alerts]
    return stored


@pytest.mark.parametrize("projection", [registry, whereabouts, watch, occupants, persons, archive],
                         ids=lambda projection: projection.name)
async def test_a_load_applied_per_batch_equals_one_event_at_a_time(settings, projection):
    events = daily_work(load(PERSONS, uuid.uuid4().hex[:6]))
    client = mongo_client(settings)
    tag = uuid.uuid4().hex[:6]
    batched_db, single_db = client[f"{settings.namespace}_lb{tag}"], client[f"{settings.namespace}_ls{tag}"]
    try:
        batched = await applied(projection, client, batched_db, events, batched=True)
        single = await applied(projection, client, single_db, events, batched=False)
        assert single[projection.collections[0]], f"{projection.name}: nothing applied"
        for logical, documents in single.items():
            assert batched[logical] == documents, f"{projection.name}: {logical} differs"
        if projection is watch:
            assert len(single["alerts"]) >= 2, "the listed key person's move-in and hire raised alerts"
    finally:
        await client.drop_database(batched_db.name)
        await client.drop_database(single_db.name)
        await client.close()

