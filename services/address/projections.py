"""The address registry read model (places, door plates, rooms), fed by ybss.address.events.

Every handler runs inside the runner's transaction together with the stream checkpoint, so a replay or
a duplicate delivery never applies twice. Full names are stored denormalised for fast reads; a rename
rewrites the names under the renamed place in the same transaction.
"""

from __future__ import annotations

from pymongo import ASCENDING, GEOSPHERE, UpdateOne

from contracts.address import (
    BuildingStructureGenerated, DoorplateAliasAdded, DoorplateApproved, DoorplateMergedInto, DoorplateRegistered, DoorplateRejected, DoorplateRelocated, DoorplateRenumbered, DoorplateRetired, DuplicateDoorplateAbsorbed, PlaceNumberingRuleSet, PlaceRegistered, PlaceRenamed, PlaceRetired,
)

from contracts.buildings import SUMMARY_FIELDS
from services.address.domain.codes import standard_name
from services.address.domain.numbering import DoorNumberError, door_key
from services.kernel.messaging.projection import Projection, ProjectionTx

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


# places --------------------------------------------------------------------------------------------
@registry.handles(PlaceRegistered)
async def place_registered(tx: ProjectionTx) -> None:
    payload = tx.envelope.payload
    await tx.collection("places").replace_one({"_id": payload["code"]}, {
        **payload, "_id": payload["code"], "status": "in_use", "former_names": [], "numbering_rule": None,
        "full_name": standard_name(payload["division_code"], road=payload["name"]),
        "registered_at": tx.envelope.occurred_at, "_version": tx.envelope.version,
    }, upsert=True, session=tx.session)


async def touch_road(tx: ProjectionTx, place_code: str) -> None:
    """Write the road's lock document, so that a rename and a door plate registered on the road, applied by
    parallel partition workers, conflict and one retries: otherwise the plate's transaction could read the old
    name while the rename's, not seeing the new plate, renames every other plate (a race found by replay)."""
    await tx.collection("road_locks").update_one({"_id": place_code}, {"$inc": {"writes": 1}}, upsert=True,
                                                 session=tx.session)


@registry.handles(PlaceRenamed)
async def place_renamed(tx: ProjectionTx) -> None:
    payload, places, doorplates = tx.envelope.payload, tx.collection("places"), tx.collection("doorplates")
    await touch_road(tx, payload["code"])
    place = await places.find_one({"_id": payload["code"]}, session=tx.session)
    await places.update_one({"_id": payload["code"]}, {
        "$set": {"name": payload["new_name"], "_version": tx.envelope.version,
                 "full_name": standard_name(place["division_code"], road=payload["new_name"])},
        "$push": {"former_names": {"name": payload["old_name"], "until": tx.envelope.occurred_at,
                                   "reason": payload["reason"]}},
    }, session=tx.session)
    updates = [
        UpdateOne({"_id": plate["_id"]}, {"$set": {
            "place_name": payload["new_name"],
            **doorplate_names(plate["division_code"], payload["new_name"], plate["door_number"])}})
        async for plate in doorplates.find({"place_code": payload["code"]}, {"division_code": 1, "door_number": 1},
                                           session=tx.session)
    ]
    if updates:
        await doorplates.bulk_write(updates, ordered=False, session=tx.session)


@registry.handles(PlaceNumberingRuleSet)
async def place_numbering_rule_set(tx: ProjectionTx) -> None:
    payload = tx.envelope.payload
    await tx.collection("places").update_one({"_id": payload["code"]}, {"$set": {
        "numbering_rule": {"odd_side": payload["odd_side"], "skip": payload["skip"]},
        "_version": tx.envelope.version}}, session=tx.session)


@registry.handles(PlaceRetired)
async def place_retired(tx: ProjectionTx) -> None:
    payload = tx.envelope.payload
    await tx.collection("places").update_one({"_id": payload["code"]}, {"$set": {
        "status": "retired", "retired": {"reason": payload["reason"], "on": payload["retired_on"]},
        "_version": tx.envelope.version}}, session=tx.session)


# door plates ---------------------------------------------------------------------------------------
@registry.handles(DoorplateRegistered)
async def doorplate_registered(tx: ProjectionTx) -> None:
    payload = dict(tx.envelope.payload)
    # Streams of different aggregates live on different partitions, so a replay may apply the road's
    # rename before this registration: take the road's current name when the road is already known.
    await touch_road(tx, payload["place_code"])
    place = await tx.collection("places").find_one({"_id": payload["place_code"]}, {"name": 1}, session=tx.session)
    if place is not None:
        payload["place_name"] = place["name"]
    door = door_number(payload["prefix"], payload["number"], payload["suffix"])
    await tx.collection("doorplates").replace_one({"_id": payload["code"]}, {
        **payload, "_id": payload["code"], "door_number": door, "sort_key": sort_key(payload["number"]),
        **doorplate_names(payload["division_code"], payload["place_name"], door),
        "status": "in_use", "redirect_to": None, "merged_from": [], "former_numbers": [], "buildings": [],
        "approvals": [], "registered_at": tx.envelope.occurred_at, "registered_by": tx.envelope.actor.id,
        "_version": tx.envelope.version,
    }, upsert=True, session=tx.session)


async def update_doorplate(tx: ProjectionTx, changes: dict, push: dict | None = None) -> None:
    update = {"$set": {**changes, "_version": tx.envelope.version}}
    if push:
        update["$push"] = push
    await tx.collection("doorplates").update_one({"_id": tx.envelope.payload["code"]}, update, session=tx.session)


@registry.handles(DoorplateApproved, DoorplateRejected)
async def doorplate_reviewed(tx: ProjectionTx) -> None:
    payload, approved = tx.envelope.payload, tx.envelope.event_type == "DoorplateApproved"
    await update_doorplate(tx, {"approval_state": "approved" if approved else "rejected"}, {"approvals": {
        "decision": "approved" if approved else "rejected", "level": payload["level"],
        "note": payload.get("remark") or payload.get("reason", ""), "by": tx.envelope.actor.id,
        "at": tx.envelope.occurred_at}})


@registry.handles(DoorplateRenumbered)
async def doorplate_renumbered(tx: ProjectionTx) -> None:
    payload = tx.envelope.payload
    plate = await tx.collection("doorplates").find_one({"_id": payload["code"]}, session=tx.session)
    door = door_number(payload["prefix"], payload["number"], payload["suffix"])
    old = door_number(payload["old_prefix"], payload["old_number"], payload["old_suffix"])
    await update_doorplate(tx, {
        "prefix": payload["prefix"], "number": payload["number"], "suffix": payload["suffix"], "door_number": door,
        "sort_key": sort_key(payload["number"]), **doorplate_names(plate["division_code"], plate["place_name"], door),
    }, {"former_numbers": {"door_number": old, "until": tx.envelope.occurred_at, "reason": payload["reason"]}})


@registry.handles(DoorplateRelocated)
async def doorplate_relocated(tx: ProjectionTx) -> None:
    payload = tx.envelope.payload
    await update_doorplate(tx, {"location": payload["location"], "location_input": {
        "system": payload["input_system"], "coordinates": payload["input_coordinates"]}})


@registry.handles(DoorplateAliasAdded)
async def doorplate_alias_added(tx: ProjectionTx) -> None:
    await update_doorplate(tx, {}, {"aliases": tx.envelope.payload["alias"]})


@registry.handles(DoorplateRetired)
async def doorplate_retired(tx: ProjectionTx) -> None:
    payload = tx.envelope.payload
    await update_doorplate(tx, {"status": "retired", "retired": {"reason": payload["reason"], "on": payload["retired_on"]}})


@registry.handles(DoorplateMergedInto)
async def doorplate_merged(tx: ProjectionTx) -> None:
    payload = tx.envelope.payload
    await update_doorplate(tx, {"status": "merged", "redirect_to": payload["survivor_code"],
                                "retired": {"reason": payload["reason"] or "重复门牌合并",
                                            "on": tx.envelope.occurred_at.date().isoformat()}})


@registry.handles(DuplicateDoorplateAbsorbed)
async def duplicate_absorbed(tx: ProjectionTx) -> None:
    payload = tx.envelope.payload
    await update_doorplate(tx, {}, {"merged_from": {"code": payload["duplicate_code"],
                                                    "door_number": payload["duplicate_door_number"]}})


@registry.handles(BuildingStructureGenerated)
async def building_generated(tx: ProjectionTx) -> None:
    """Keep the building's description on its door plate: one small write in the transaction, whatever the
    size of the building. Its rooms are read from that description (views.rooms), never stored one by one."""
    summary = {key: tx.envelope.payload[key] for key in SUMMARY_FIELDS}
    await update_doorplate(tx, {}, {"buildings": summary})
