"""A replica of the standard-address registry (标准地址) for contexts that hang records on addresses.

Usage (in a context's projections and views)::

    addresses = address_replica("person-addresses")        # a kernel Projection; list it in the SPEC
    collection = runtime.read_model(addresses.name, addresses.name)
    address = await lookup_address(collection, code)        # follows merges; None when unknown
    address = await require_usable_address(collection, code, field="address_code")   # 422 otherwise

Built from ``ybss.address.events`` through ``contracts.address`` alone (never services.address), so it keeps:
places (roads, compounds) with their current name; door plates with their road's *current* name, their number,
status (in_use / retired / merged) and merge target; and which door plates have generated rooms (生成层户).

Rooms are not stored one by one: a generated room's 35-digit position code (door plate + building + unit + floor
+ sequence + Damm check) is checked against the building its door plate described. A 24-digit code of element type
62 (户室) is an address like any other: known only when the registry published it (the interim rule that accepted
any such code in a township with a generated building let made-up room codes count as linked; issue 17).

Convergence under any interleaving of streams (ARCHITECTURE.md "Any order across topics"): a door plate takes
its road's current name when the road is already known; a later rename rewrites the plates already known.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable

from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from contracts import divisions
from contracts.address import (
    BuildingStructureGenerated, DoorplateMergedInto, DoorplateRegistered, DoorplateRelocated, DoorplateRenumbered,
    DoorplateRetired,
    PlaceRegistered, PlaceRenamed, PlaceRetired,
)
from contracts.address_codes import ROOM_CODE_LENGTH, parse_room_code
from contracts.buildings import SUMMARY_FIELDS
from contracts.rooms import room_by_code
from services.kernel.base.errors import DomainRuleViolation
from services.kernel.messaging.projection import Projection, ProjectionTx

MAX_REDIRECTS = 8
ADDRESS_CODE_LENGTH = 24
#: what a generated building says about its rooms (kept so a 35-digit room code can be checked against it)
BUILDING_FIELDS = SUMMARY_FIELDS


def address_replica(name: str) -> Projection:
    """A projection named ``name`` (its consumer group and dead-letter topic) keeping one collection, also ``name``."""
    projection = Projection(name, sources=["address"], collections=[name])
    projection.index(name, [("place_code", ASCENDING)])
    projection.index(name, [("township", ASCENDING), ("kind", ASCENDING), ("has_rooms", ASCENDING)])

    @projection.handles(PlaceRegistered)
    async def place_registered(tx: ProjectionTx) -> None:
        p = tx.envelope.payload
        await tx.collection(name).update_one({"_id": p["code"]}, {"$set": {
            "kind": "place", "element_type": p["element_type"], "name": p["name"],
            "division_code": p["division_code"], "township": p["code"][:9],
            "full_name": _full_name(p["division_code"], p["name"]), "status": "in_use"}},
            upsert=True, session=tx.session)  # $set, not $setOnInsert: a door plate may have made a stub first

    @projection.handles(PlaceRenamed)
    async def place_renamed(tx: ProjectionTx) -> None:
        p, collection = tx.envelope.payload, tx.collection(name)
        place = await collection.find_one({"_id": p["code"]}, session=tx.session)
        division_code = place.get("division_code") if place else None
        await collection.update_one({"_id": p["code"]}, {"$set": {
            "name": p["new_name"], "full_name": _full_name(division_code, p["new_name"])},
            "$push": {"former_names": p["old_name"]}}, session=tx.session)
        updates = [UpdateOne({"_id": plate["_id"]}, {"$set": {
                       "place_name": p["new_name"],
                       "full_name": _full_name(plate["division_code"], p["new_name"], plate["door_number"])}})
                   async for plate in collection.find({"place_code": p["code"], "kind": "doorplate"},
                                                      {"division_code": 1, "door_number": 1}, session=tx.session)]
        if updates:
            await collection.bulk_write(updates, ordered=False, session=tx.session)

    @projection.handles(PlaceRetired)
    async def place_retired(tx: ProjectionTx) -> None:
        p = tx.envelope.payload
        await tx.collection(name).update_one({"_id": p["code"]}, {"$set": {
            "status": "retired", "retired": {"reason": p["reason"], "on": p["retired_on"]}}}, session=tx.session)

    @projection.handles(DoorplateRegistered)
    async def doorplate_registered(tx: ProjectionTx) -> None:
        p, collection = tx.envelope.payload, tx.collection(name)
        # Write the road's document before reading it: streams of other partitions are applied in concurrent
        # transactions, and a rename committing between this read and this plate's insert would otherwise miss
        # the plate (write skew). Writing the same document makes the two transactions conflict, and the runner
        # retries the loser against the committed state. (A stub without ``kind`` is not an address yet.)
        await collection.update_one({"_id": p["place_code"]}, {"$inc": {"doorplate_count": 1}},
                                    upsert=True, session=tx.session)
        place = await collection.find_one({"_id": p["place_code"]}, {"name": 1}, session=tx.session)
        place_name = place["name"] if place and place.get("name") else p["place_name"]
        door = f"{p['prefix']}{p['number']}{p['suffix']}"
        await collection.update_one({"_id": p["code"]}, {"$set": {
            "kind": "doorplate", "element_type": p["code"][9:11], "division_code": p["division_code"],
            "township": p["code"][:9], "place_code": p["place_code"], "place_name": place_name,
            "door_number": door, "full_name": _full_name(p["division_code"], place_name, door),
            "location": p.get("location")},
            "$setOnInsert": {"status": "in_use", "redirect_to": None, "has_rooms": False}},
            upsert=True, session=tx.session)

    @projection.handles(DoorplateRelocated)
    async def doorplate_relocated(tx: ProjectionTx) -> None:
        p = tx.envelope.payload
        await tx.collection(name).update_one({"_id": p["code"]}, {"$set": {"location": p["location"]}},
                                             session=tx.session)

    @projection.handles(DoorplateRenumbered)
    async def doorplate_renumbered(tx: ProjectionTx) -> None:
        p, collection = tx.envelope.payload, tx.collection(name)
        plate = await collection.find_one({"_id": p["code"]}, session=tx.session)
        door = f"{p['prefix']}{p['number']}{p['suffix']}"
        await collection.update_one({"_id": p["code"]}, {"$set": {
            "door_number": door, "full_name": _full_name(plate["division_code"], plate["place_name"], door)}},
            session=tx.session)

    @projection.handles(DoorplateRetired)
    async def doorplate_retired(tx: ProjectionTx) -> None:
        p = tx.envelope.payload
        await tx.collection(name).update_one({"_id": p["code"]}, {"$set": {
            "status": "retired", "retired": {"reason": p["reason"], "on": p["retired_on"]}}}, session=tx.session)

    @projection.handles(DoorplateMergedInto)
    async def doorplate_merged(tx: ProjectionTx) -> None:
        p = tx.envelope.payload
        await tx.collection(name).update_one({"_id": p["code"]}, {"$set": {
            "status": "merged", "redirect_to": p["survivor_code"]}}, session=tx.session)

    @projection.handles(BuildingStructureGenerated)
    async def building_generated(tx: ProjectionTx) -> None:
        p = tx.envelope.payload
        await tx.collection(name).update_one({"_id": p["code"]}, {
            "$set": {"has_rooms": True},
            "$push": {"buildings": {key: p.get(key) for key in BUILDING_FIELDS}}}, session=tx.session)

    return projection


def _full_name(division_code: str | None, place_name: str, door: str = "") -> str:
    try:
        prefix = divisions.full_name(division_code, short=True) if division_code else ""
    except KeyError:
        prefix = ""
    return f"{prefix}{place_name}{door}"


@dataclass(frozen=True)
class ReplicaAddress:
    """An address as the replica knows it, after following merges (``redirected_from`` names the code asked for)."""

    code: str
    kind: str  #: place / doorplate / room
    status: str  #: in_use / retired / merged
    full_name: str | None
    division_code: str | None
    place_code: str | None = None
    place_name: str | None = None
    door_number: str | None = None
    redirected_from: str | None = None
    verified: bool = True  #: every address the replica answers is one the registry published
    location: dict | None = None  #: map point (WGS-84 GeoJSON) of the door plate, a room's being its plate's

    @property
    def usable(self) -> bool:
        return self.status == "in_use"


async def lookup_address(collection: AsyncCollection, code: str) -> ReplicaAddress | None:
    """The address with ``code``, following merged door plates to their survivor; None when unknown."""
    code = (code or "").strip()
    if len(code) == ROOM_CODE_LENGTH and code.isdigit():
        return await _generated_room(collection, code)
    asked, seen = code, set()
    document = await collection.find_one({"_id": code})
    while document is not None and document.get("redirect_to") and len(seen) < MAX_REDIRECTS:
        seen.add(document["_id"])
        survivor = await collection.find_one({"_id": document["redirect_to"]})
        if survivor is None or survivor["_id"] in seen:
            break
        document = survivor
    if document is None or "kind" not in document:
        return None
    return ReplicaAddress(
        code=document["_id"], kind=document["kind"], status=document.get("status", "in_use"),
        full_name=document.get("full_name"), division_code=document.get("division_code"),
        place_code=document.get("place_code"), place_name=document.get("place_name") or document.get("name"),
        door_number=document.get("door_number"), redirected_from=asked if document["_id"] != asked else None,
        location=document.get("location"))


async def _generated_room(collection: AsyncCollection, code: str) -> ReplicaAddress | None:
    """A generated room (生成层户) by its position code: its door plate must be known with that building, and the
    position must lie inside the building (expanded the published way, contracts.rooms). Rooms stay under their
    plate's code when the plate is merged (the address service keeps them reachable), so only a retired plate
    makes its rooms unusable."""
    try:
        plate_code = parse_room_code(code).doorplate_code
    except ValueError:
        return None
    plate = await collection.find_one({"_id": plate_code, "kind": "doorplate"})
    room = room_by_code(plate, code) if plate is not None else None
    if room is None:
        return None
    status = "retired" if plate.get("status") == "retired" else "in_use"
    return ReplicaAddress(code=code, kind="room", status=status, division_code=plate["division_code"],
                          full_name=room["full_name"], place_code=plate.get("place_code"),
                          place_name=plate.get("place_name"), door_number=plate.get("door_number"),
                          location=plate.get("location"))


async def same_address_codes(collection: AsyncCollection, code: str) -> list[str]:
    """Every code a record at ``code`` may be filed under: the code, the survivor it was merged into, and the
    other plates merged into that survivor (records registered before a merge keep their old code)."""
    codes = {code}
    address = await lookup_address(collection, code)
    if address is not None:
        codes.add(address.code)
        codes.update([document["_id"] async for document in collection.find({"redirect_to": address.code}, {"_id": 1})])
    return sorted(codes)


async def address_states(collection: AsyncCollection, codes: list[str]) -> dict[str, dict]:
    """code → {full_name, status, redirect_to} for many codes in one query (lists of records hung on addresses):
    door plates and places as the replica keeps them, generated rooms through their door plate."""
    plate_of = {code: code[:ADDRESS_CODE_LENGTH] if len(code) == ROOM_CODE_LENGTH else code for code in set(codes)}
    documents = {document["_id"]: document async for document in collection.find(
        {"_id": {"$in": sorted(set(plate_of.values()))}},
        {"full_name": 1, "status": 1, "redirect_to": 1, "buildings": 1, "division_code": 1})}
    states = {}
    for code, plate_code in plate_of.items():
        document = documents.get(plate_code)
        if document is None:
            continue
        state = {"full_name": document.get("full_name"), "status": document.get("status", "in_use"),
                 "redirect_to": document.get("redirect_to")}
        if plate_code != code:  # a room: named below its plate, and usable unless the plate is retired
            try:
                room = room_by_code({**document, "full_name": state["full_name"] or ""}, code)
            except ValueError:
                room = None
            state = {"full_name": room["full_name"] if room else None,
                     "status": "retired" if state["status"] == "retired" else "in_use", "redirect_to": None}
        states[code] = state
    return states


#: what a context's application service is handed to resolve an address: (code, field) → the in-use address
#: (merges followed) or a 422 naming ``field``; a bound ``require_usable_address`` on its replica in service,
#: a dict in unit tests
AddressPort = Callable[[str, str], Awaitable[ReplicaAddress]]


async def require_usable_address(collection: AsyncCollection, code: str, field: str = "address_code") -> ReplicaAddress:
    """The in-use address for ``code`` (merges followed), or a 422 naming ``field``: unknown, or retired."""
    address = await lookup_address(collection, code)
    if address is None:
        raise DomainRuleViolation(field, "address.unknown", f"no standard address with code {code!r}",
                                  f"标准地址 {code} 不存在")
    if not address.usable:
        raise DomainRuleViolation(field, "address.retired", f"standard address {address.code} is {address.status}",
                                  f"标准地址 {address.code} 已注销")
    return address


def replica_address_port(replica: Callable[[], AsyncCollection]) -> AddressPort:
    """The address port of a context whose commands take the replica as it is now (no wait): house, unit.
    ``replica`` gives the live generation's collection at each call (a rebuild swaps it)."""

    async def usable(code: str, field: str) -> ReplicaAddress:
        return await require_usable_address(replica(), code, field)

    return usable
