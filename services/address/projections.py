"""The address registry read model (places, door plates, rooms), fed by ybss.address.events.

A place's or a door plate's document is its record: the fold of its stream through each event's ``evolve``
(contracts/address.py, the transition the audit's fold applies too), plus what only the registry keeps: the
standard full name and door key that lookups query, the sort key lists page on, and who and when of each step.
Every handler runs inside the runner's transaction together with the stream checkpoint, so a replay or a
duplicate delivery never applies twice. A rename rewrites the names of the plates on the renamed road in the
same transaction, and a plate takes its road's current name (streams of different records arrive in any order).
"""

from __future__ import annotations

from pymongo import ASCENDING, GEOSPHERE, UpdateOne

from contracts.address import (
    BuildingStructureGenerated, DoorplateAliasAdded, DoorplateApproved, DoorplateMergedInto, DoorplateRegistered,
    DoorplateRejected, DoorplateRelocated, DoorplateRenumbered, DoorplateRetired, DuplicateDoorplateAbsorbed,
    PlaceNumberingRuleSet, PlaceRegistered, PlaceRenamed, PlaceRetired,
)
from contracts.envelope import EventEnvelope
from contracts.events import DomainEvent, event_class
from services.address.domain.codes import standard_name
from services.address.domain.numbering import DoorNumberError, door_key
from services.kernel.messaging.projection import Projection, ProjectionTx

PLACE_EVENTS = (PlaceRegistered, PlaceRenamed, PlaceNumberingRuleSet, PlaceRetired)
DOORPLATE_EVENTS = (DoorplateRegistered, DoorplateApproved, DoorplateRejected, DoorplateRenumbered,
                    DoorplateRelocated, DoorplateAliasAdded, DoorplateRetired, DoorplateMergedInto,
                    DuplicateDoorplateAbsorbed, BuildingStructureGenerated)
_PLACE_TYPES = {event.event_type() for event in PLACE_EVENTS}

registry = Projection("address-registry", sources=["address"], collections=["places", "doorplates", "road_locks"])
registry.index("places", [("division_code", ASCENDING), ("name", ASCENDING)])
registry.index("places", [("parent_code", ASCENDING)])
registry.index("doorplates", [("division_code", ASCENDING), ("place_name", ASCENDING), ("sort_key", ASCENDING)])
registry.index("doorplates", [("place_code", ASCENDING), ("sort_key", ASCENDING)])
registry.index("doorplates", [("door_key", ASCENDING)])
registry.index("doorplates", [("location", GEOSPHERE)])
registry.index("places", [("name", ASCENDING)])
registry.index("places", [("aliases", ASCENDING)])
registry.index("places", [("former_names.name", ASCENDING)])
registry.index("doorplates", [("aliases", ASCENDING)])
#: each event reads its record first, and a plate's registration its road: the batch's are read in one query
registry.prefetch("places", lambda envelope: envelope.payload["code"] if envelope.event_type in _PLACE_TYPES
                  else envelope.payload.get("place_code"))
registry.prefetch("doorplates", lambda envelope: None if envelope.event_type in _PLACE_TYPES
                  else envelope.payload.get("code"))


def door_number(prefix: str, number: str, suffix: str) -> str:
    return f"{prefix}{number}{suffix}"


def sort_key(number: str) -> str:
    """Numeric order for '2' < '10' < '10-1', as one string (zero-padded pieces) so a list of door plates can be
    paged on it (keyset paging needs a scalar: MongoDB sorts an array by its smallest element)."""
    return "-".join(f"{int(piece) if piece.isdigit() else 10**9:010d}" for piece in number.replace("－", "-").split("-"))


def safe_door_key(road: str, number: str) -> str | None:
    try:
        return door_key(road, number)
    except DoorNumberError:
        return None


def doorplate_names(division_code: str, place_name: str, door: str) -> dict:
    return {"full_name": standard_name(division_code, road=place_name, door=door),
            "door_key": safe_door_key(place_name, door)}


def _evolved(stored: dict | None, envelope: EventEnvelope) -> tuple[DomainEvent, dict]:
    event = event_class(envelope.event_type).model_validate(envelope.payload)
    return event, event.evolve(dict(stored or {}))


def _stamped_last(document: dict, field: str, **stamp) -> None:
    """The step the event just appended to ``field`` gets who or when (the envelope's, not the event's)."""
    document[field] = [*document[field][:-1], {**document[field][-1], **stamp}]


def place_record(stored: dict | None, envelope: EventEnvelope) -> dict:
    """The registry's document of a place after one of its events: the record's transition, its full name, when
    it was registered and until when a former name was its name."""
    event, document = _evolved(stored, envelope)
    if isinstance(event, PlaceRegistered):
        document["registered_at"] = envelope.occurred_at
    elif isinstance(event, PlaceRenamed):
        _stamped_last(document, "former_names", until=envelope.occurred_at)
    return {**document, "_id": event.code, "_version": envelope.version,
            "full_name": standard_name(document["division_code"], road=document["name"])}


def doorplate_record(stored: dict | None, envelope: EventEnvelope, road_name: str | None = None) -> dict:
    """The registry's document of a door plate after one of its events: the record's transition, its names (on
    ``road_name``, the road's current name, when a registration finds the road known), its sort key, who
    registered and reviewed it and when its former numbers and a merge ended."""
    event, document = _evolved(stored, envelope)
    if isinstance(event, DoorplateRegistered):
        document.update(place_name=road_name or document["place_name"], registered_at=envelope.occurred_at,
                        registered_by=envelope.actor.id)
    elif isinstance(event, (DoorplateApproved, DoorplateRejected)):
        _stamped_last(document, "approvals", by=envelope.actor.id, at=envelope.occurred_at)
    elif isinstance(event, DoorplateRenumbered):
        _stamped_last(document, "former_numbers", until=envelope.occurred_at)
    elif isinstance(event, DoorplateMergedInto):
        document["retired"] = {**document["retired"], "on": envelope.occurred_at.date().isoformat()}
    return {**document, "_id": event.code, "_version": envelope.version, "sort_key": sort_key(document["number"]),
            **doorplate_names(document["division_code"], document["place_name"], document["door_number"])}


async def touch_road(tx: ProjectionTx, place_code: str) -> None:
    """Write the road's lock document, so that a rename and a door plate registered on the road, applied by
    parallel partition workers, conflict and one retries: otherwise the plate's transaction could read the old
    name while the rename's, not seeing the new plate, renames every other plate (a race found by replay)."""
    await tx.collection("road_locks").update_one({"_id": place_code}, {"$inc": {"writes": 1}}, upsert=True,
                                                 session=tx.session)


@registry.handles(*PLACE_EVENTS)
async def place_event(tx: ProjectionTx) -> None:
    places, code = tx.collection("places"), tx.envelope.payload["code"]
    renamed = tx.envelope.event_type == PlaceRenamed.event_type()
    if renamed:
        await touch_road(tx, code)
    place = place_record(await places.find_one({"_id": code}, session=tx.session), tx.envelope)
    await places.replace_one({"_id": code}, place, upsert=True, session=tx.session)
    if renamed:
        doorplates = tx.collection("doorplates")
        updates = [UpdateOne({"_id": plate["_id"]}, {"$set": {
                       "place_name": place["name"], **doorplate_names(plate["division_code"], place["name"],
                                                                      plate["door_number"])}})
                   async for plate in doorplates.find({"place_code": code}, {"division_code": 1, "door_number": 1},
                                                      session=tx.session)]
        if updates:
            await doorplates.bulk_write(updates, ordered=False, session=tx.session)


@registry.handles(*DOORPLATE_EVENTS)
async def doorplate_event(tx: ProjectionTx) -> None:
    """BuildingStructureGenerated keeps the building's description on its door plate: one small write in the
    transaction, whatever the size of the building; its rooms are read from it (views.rooms), never stored."""
    doorplates, payload, road = tx.collection("doorplates"), tx.envelope.payload, None
    if tx.envelope.event_type == DoorplateRegistered.event_type():
        await touch_road(tx, payload["place_code"])
        road = await tx.collection("places").find_one({"_id": payload["place_code"]}, {"name": 1}, session=tx.session)
    stored = await doorplates.find_one({"_id": payload["code"]}, session=tx.session)
    await doorplates.replace_one({"_id": payload["code"]}, doorplate_record(stored, tx.envelope, road and road["name"]),
                                 upsert=True, session=tx.session)
