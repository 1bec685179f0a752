"""Any standard address by code, its change history, and map queries (near a point, inside a box)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from contracts.geo import CoordinateSystem
from services.address.domain import geo
from services.address.domain.aggregates import doorplate_stream, place_stream
from services.address.views import addresses as views
from services.address.views.reads import collection, public
from services.kernel.web.authz import READERS, Allowed
from services.kernel.base.errors import DomainRuleViolation
from services.kernel.web.exports import FILE_RESPONSES, Format, answer
from services.kernel.web.paging import CursorParam
from services.address.bootstrap import Reads

router = APIRouter(prefix="/v1", tags=["addresses and map 标准地址与地图"])
Reader = Allowed("address.read", *READERS)


@router.get("/addresses/{code}", summary="Any standard address by code 按编码查询标准地址")
async def get_address(code: str, reads: Reads, caller: Reader) -> dict:
    kind, document = await views.resolve(reads, code)
    result = {"kind": kind, **public(document)}
    if kind == "room":
        plate = await collection(reads, "doorplates").find_one({"_id": document["doorplate_code"]})
        result.update(full_name=plate["full_name"] + document["name_suffix"], location=plate.get("location"),
                      element_type="62", status=plate["status"], division_code=plate["division_code"])
    elif kind == "doorplate":
        result["element_type"] = "50"
    caller.require_within(result.get("division_code"), "address")
    await caller.accessed(kind, code, result.get("division_code"))
    return result


@router.get("/addresses/{code}/history", summary="Change history 变更历史 (every event, with who and when)")
async def address_history(code: str, reads: Reads,
                          caller: Allowed("address.history", "police", "supervisor")) -> dict:
    kind, document = await views.resolve(reads, code)
    if kind == "room":
        plate = await collection(reads, "doorplates").find_one({"_id": document["doorplate_code"]}, {"division_code": 1})
        document = {**document, "division_code": plate and plate["division_code"]}
    caller.require_within(document.get("division_code"), "address")
    stream = {"place": place_stream(code), "doorplate": doorplate_stream(code),
              "room": doorplate_stream(document.get("doorplate_code", ""))}[kind]
    events = await reads.store.read_stream(stream)
    return {"code": code, "stream_id": stream, "events": [
        {"version": e.version, "event_type": e.event_type, "occurred_at": e.occurred_at, "recorded_at": e.recorded_at,
         "actor": e.actor.model_dump(mode="json"), "correlation_id": e.correlation_id, "payload": e.payload}
        for e in events]}


def _wgs84(lng: float, lat: float, system: CoordinateSystem, field: str = "lng") -> tuple[float, float]:
    try:
        return geo.to_wgs84(lng, lat, str(system))
    except ValueError as error:
        raise DomainRuleViolation(field, "coordinates.invalid", str(error)) from None


@router.get("/map/near", summary="Door plates near a point, nearest first 周边地址")
async def near(
    reads: Reads,
    caller: Reader,
    lng: Annotated[float, Query(ge=-180, le=180, examples=[103.3649])],
    lat: Annotated[float, Query(ge=-90, le=90, examples=[23.3962])],
    radius_m: Annotated[float, Query(gt=0, le=50_000)] = 500,
    system: CoordinateSystem = CoordinateSystem.wgs84,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict:
    """The nearest ``limit`` door plates; ``total`` says how many lie within the radius (narrow it, or ask
    /v1/map/within for all of an area, page by page)."""
    x, y = _wgs84(lng, lat, system)
    items = await views.near(reads, caller.scope_query(), x, y, radius_m, limit)
    total = await views.count_near(reads, caller.scope_query(), x, y, radius_m)
    return {"center": [x, y], "radius_m": radius_m, "items": items, "count": len(items),
            "total": max(total, len(items))}


@router.get("/map/within", summary="Door plates inside a bounding box 框选地址 (paged, or the whole box as csv/xlsx)",
            responses=FILE_RESPONSES)
async def within(
    reads: Reads,
    caller: Reader,
    west: Annotated[float, Query(ge=-180, le=180)], south: Annotated[float, Query(ge=-90, le=90)],
    east: Annotated[float, Query(ge=-180, le=180)], north: Annotated[float, Query(ge=-90, le=90)],
    system: CoordinateSystem = CoordinateSystem.wgs84,
    limit: Annotated[int, Query(ge=1, le=5000, description="door plates per page (follow `next_cursor`)")] = 1000,
    cursor: CursorParam = None, format: Format = "json",
) -> dict:
    if west >= east or south >= north:
        raise DomainRuleViolation("west", "bbox.order", "need west < east and south < north", "须满足 西<东 且 南<北")
    w, s = _wgs84(west, south, system, "west")
    e, n = _wgs84(east, north, system, "east")
    found = await answer(views.within(reads, caller.scope_query(), w, s, e, n), format, cursor, limit, caller,
                         "doorplates-within")
    return {"bbox": [w, s, e, n], **found, "count": len(found["items"])} if isinstance(found, dict) else found
