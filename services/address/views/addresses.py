"""Any standard address by code, and map queries (near a point, inside a box), over the registry read model."""

from __future__ import annotations

from services.address.domain import geo
from services.address.views.reads import collection, public
from contracts.rooms import doorplate_of_room, room_by_code
from services.kernel.base.errors import NotFound
from services.kernel.messaging.read_models import ReadModels
from services.kernel.web.paging import Segment, Worklist, one_each

EARTH_RADIUS_M = 6_378_100  #: the radius $centerSphere takes distances in (radians of it)


async def resolve(reads: ReadModels, code: str) -> tuple[str, dict]:
    """(kind, document) for a place, door plate or room code (a room is read from its plate's buildings)."""
    plate_code = doorplate_of_room(code)
    if plate_code is not None:
        plate = await collection(reads, "doorplates").find_one({"_id": plate_code})
        room = room_by_code(plate, code) if plate is not None else None
        if room is not None:
            room["_id"] = room.pop("code")
            return "room", room
        raise NotFound("address", code)
    for kind, logical in (("doorplate", "doorplates"), ("place", "places")):
        document = await collection(reads, logical).find_one({"_id": code})
        if document is not None:
            return kind, document
    raise NotFound("address", code)


def located(document: dict) -> dict:
    item = public(document)
    item.pop("location_input", None)
    return item


async def near(reads: ReadModels, scope: dict, x: float, y: float, radius_m: float, limit: int) -> list[dict]:
    """In-use door plates within ``radius_m`` of a WGS-84 point, nearest first, with their distance."""
    cursor = collection(reads, "doorplates").find({
        "status": "in_use",
        "location": {"$near": {"$geometry": {"type": "Point", "coordinates": [x, y]}, "$maxDistance": radius_m}},
        **scope,
    }).limit(limit)
    items = []
    async for document in cursor:
        item = located(document)
        px, py = document["location"]["coordinates"]
        item["distance_m"] = round(geo.haversine_m(x, y, px, py), 1)
        items.append(item)
    items.sort(key=lambda item: item["distance_m"])
    return items


def box(west: float, south: float, east: float, north: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north],
                                                [west, south]]]}


def within(reads: ReadModels, scope: dict, west: float, south: float, east: float, north: float) -> Worklist:
    """In-use door plates inside a WGS-84 bounding box, as a worklist (code order, a cursor, the box's total):
    a box holding more than a page is walked, never cut off."""
    query = {"status": "in_use", "location": {"$geoWithin": {"$geometry": box(west, south, east, north)}}, **scope}
    return Worklist.of(Segment(collection(reads, "doorplates"), query, one_each(located)))


async def count_near(reads: ReadModels, scope: dict, x: float, y: float, radius_m: float) -> int:
    """How many in-use door plates lie within ``radius_m`` (the nearest ``limit`` of them are listed)."""
    circle = {"$centerSphere": [[x, y], radius_m / EARTH_RADIUS_M]}
    return await collection(reads, "doorplates").count_documents(
        {"status": "in_use", "location": {"$geoWithin": circle}, **scope})
