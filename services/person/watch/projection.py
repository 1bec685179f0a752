"""``person-watch``: one document per person the watch may concern, fed by the person, house and unit topics.

A person's document holds their key-person records with the spans they were 已列管 (from the key-person
streams) and their recent watched events (from every source, services.person.watch.sources). Every writer of a
person's facts writes that one document, so partition workers' concurrent transactions on one person conflict
and retry instead of deciding on a stale view: an event applied before the listing that covers it is checked
again when the listing lands, and one applied after it is checked at once. Alerts are judged by when things
happened (the event inside a listed span), not by when they arrived, and keyed by the causing event: the same
alerts whatever the interleaving, and none again on a replay. Only the live generation touches alerts: a rebuild
fills its generation without notifying anyone.

House and unit streams are folded here too (``watch_houses``, ``watch_units``) so a hire is judged against the
unit's special trades *at that point of its stream*.
"""

from __future__ import annotations

import time

from pymongo import ASCENDING

from contracts import person_record
from contracts.events import event_class
from contracts.house import (
    HouseDetailsCorrected, HouseOwnerChanged, HouseRegistered, HouseUseChanged, RentalEnded, RentalLessorReplaced,
    RentalStarted, TenantMovedIn, TenantMovedOut,
)
from contracts.person import (
    KeyPersonListed, KeyPersonListingApplied, KeyPersonListingRejected, KeyPersonRecategorized,
    KeyPersonReleaseApplied, KeyPersonReleased, KeyPersonReleaseRejected, KeyPersonTransferred, PersonCancelled,
    ResidenceRegistered, ForeignerAccommodationChanged,
)
from contracts.person_stays import HotelStayRecorded
from contracts.unit import (
    EmployeeHired, EmployeeLeft, SpecialTradeAdded, SpecialTradeRemoved, UnitDetailsCorrected, UnitRegistered,
    UnitRelocated, UnitRenamed,
)
from services.kernel.messaging.generations import active_generation
from services.kernel.messaging.projection import Projection, ProjectionTx, stream_field
from services.person.watch import alerts
from services.person.watch.folds import fold_listing, stamp, watched_in, with_event
from services.person.watch.rules import configured
from services.person.watch.sources import SOURCES

WATCH = "person-watch"
KEY_PERSON_OWNERS = "watch_key_persons"

watch = Projection(WATCH, sources=["person", "house", "unit"],
                   collections=["watch", KEY_PERSON_OWNERS, "watch_houses", "watch_units"])
watch.index("watch", [("watched_in", ASCENDING)])


def concerned(envelope) -> list[str]:
    """The persons whose document an event reads: those a watched event concerns, a listing's person."""
    source = SOURCES.get(envelope.event_type)
    named = source.persons(envelope.payload) if source else []
    return [*named, envelope.payload["person_id"]] if envelope.event_type == "KeyPersonListingApplied" else named


#: the documents every event reads, the batch's read ahead in one query per collection
watch.prefetch("watch", concerned)
watch.prefetch(KEY_PERSON_OWNERS, person_record.key_person_id_of)
watch.prefetch("watch_houses", stream_field("House", "house_id"))
watch.prefetch("watch_units", stream_field("Unit", "unit_id"))


_ACTIVE: dict[int, tuple[int, float]] = {}  #: id(db) → (live generation, when read)


async def _live(tx: ProjectionTx) -> bool:
    """Only the live generation raises, withdraws or reinstates alerts: a rebuild (a fresh generation filling
    beside it) replays history without notifying anyone again. The live generation is re-read each second."""
    cached, now = _ACTIVE.get(id(tx.db)), time.monotonic()
    if cached is None or now - cached[1] > 1.0:
        cached = _ACTIVE[id(tx.db)] = (await active_generation(tx.db, WATCH), now)
    return tx.generation == cached[0]


async def _reconcile(tx: ProjectionTx, person_id: str, listings: dict, entries: list[dict]) -> None:
    """Alerts follow the person's listings. A person with no key-person record (listings only grow, and every
    generation folds the same log) has none to raise and none to withdraw, since an alert is only ever raised
    under a listing: the alerts' read is skipped for them (most persons of a load)."""
    if not listings:
        return
    if await _live(tx):
        await alerts.reconcile(tx.db, tx.session, person_id, listings, entries, configured())


async def _observe(tx: ProjectionTx, facts: dict) -> None:
    """Record a watched event on each person it concerns and raise what the person's listings call for."""
    envelope, documents = tx.envelope, tx.collection("watch")
    for person_id in SOURCES[envelope.event_type].persons(envelope.payload):
        entry = {"event_id": str(envelope.event_id), "event_type": envelope.event_type,
                 "stream_id": envelope.stream_id, "at": stamp(envelope.occurred_at),
                 "correlation_id": envelope.correlation_id, "facts": facts}
        stored = await documents.find_one({"_id": person_id}, session=tx.session) or {}
        await documents.update_one({"_id": person_id}, {"$set": {"events": with_event(stored.get("events", []), entry)}},
                                   upsert=True, session=tx.session)
        await _reconcile(tx, person_id, stored.get("listings") or {}, [entry])


@watch.handles(ResidenceRegistered, ForeignerAccommodationChanged, PersonCancelled, HotelStayRecorded)
async def person_event(tx: ProjectionTx) -> None:
    await _observe(tx, SOURCES[tx.envelope.event_type].facts(tx.envelope.payload))


async def _fold(tx: ProjectionTx, collection: str, id_field: str) -> dict:
    envelope, folded = tx.envelope, tx.collection(collection)
    source_id = envelope.payload[id_field]
    stored = await folded.find_one({"_id": source_id}, session=tx.session) or {}
    state = event_class(envelope.event_type).model_validate(envelope.payload).evolve(
        {key: value for key, value in stored.items() if key != "_id"})
    kept = {key: state.get(key) for key in ("address_code", "address_name", "division_code", "name")}
    kept["special_trades"] = state.get("special_trades", [])
    await folded.replace_one({"_id": source_id}, {"_id": source_id, **kept}, upsert=True, session=tx.session)
    return {**kept, "trades": sorted(trade["trade"] for trade in kept["special_trades"] or [])}


@watch.handles(HouseRegistered, HouseDetailsCorrected, HouseUseChanged, HouseOwnerChanged, RentalStarted,
               TenantMovedIn, TenantMovedOut, RentalEnded,
               RentalLessorReplaced)  # 出租人变更: a key person who takes over letting a house is 出租房屋 too
async def house_event(tx: ProjectionTx) -> None:
    house = await _fold(tx, "watch_houses", "house_id")
    if tx.envelope.event_type in SOURCES:
        facts = SOURCES[tx.envelope.event_type].facts(tx.envelope.payload)
        await _observe(tx, {**facts, "address_code": house["address_code"], "address_name": house["address_name"]})


@watch.handles(UnitRegistered, UnitDetailsCorrected, SpecialTradeAdded, SpecialTradeRemoved, EmployeeHired,
               EmployeeLeft, UnitRelocated, UnitRenamed)  # 迁址, 名称变更: a later alert names the unit as it is now
async def unit_event(tx: ProjectionTx) -> None:
    unit = await _fold(tx, "watch_units", "unit_id")
    if tx.envelope.event_type in SOURCES:
        facts = SOURCES[tx.envelope.event_type].facts(tx.envelope.payload)
        await _observe(tx, {**facts, "unit_name": unit["name"], "trades": unit["trades"],
                            "unit_address_code": unit["address_code"]})


@watch.handles(KeyPersonListingApplied, KeyPersonListed, KeyPersonListingRejected, KeyPersonReleaseApplied,
               KeyPersonReleased, KeyPersonReleaseRejected, KeyPersonTransferred, KeyPersonRecategorized)
async def key_person_event(tx: ProjectionTx) -> None:
    """A listing changed: store it, and reconcile the person's recent events' alerts with the listings (a late
    listing raises what happened while listed; a late release withdraws what happened after it)."""
    envelope, owners, documents = tx.envelope, tx.collection(KEY_PERSON_OWNERS), tx.collection("watch")
    key_person_id = envelope.payload["key_person_id"]
    if envelope.event_type == "KeyPersonListingApplied":
        person_id = envelope.payload["person_id"]
        await owners.replace_one({"_id": key_person_id}, {"person_id": person_id}, upsert=True, session=tx.session)
    else:
        owner = await owners.find_one({"_id": key_person_id}, session=tx.session)
        if owner is None:
            return
        person_id = owner["person_id"]
    stored = await documents.find_one({"_id": person_id}, session=tx.session) or {}
    listings = dict(stored.get("listings") or {})
    listings[key_person_id] = fold_listing(listings.get(key_person_id), envelope.event_type, envelope.payload,
                                           stamp(envelope.occurred_at))
    await documents.update_one({"_id": person_id}, {"$set": {
        "listings": listings, "watched_in": watched_in(listings)}}, upsert=True, session=tx.session)
    await _reconcile(tx, person_id, listings, stored.get("events", []))
