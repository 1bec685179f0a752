"""Door-plate queries over the address registry read model (the routes only translate HTTP to these)."""

from __future__ import annotations

from services.address.views.reads import collection, public
from services.kernel.web.paging import Segment, Worklist, one_each
from services.kernel.messaging.read_models import ReadModels

MAX_REDIRECTS = 10


async def doorplate(reads: ReadModels, code: str, fields: dict | None = None) -> dict | None:
    return await collection(reads, "doorplates").find_one({"_id": code}, fields)


async def follow_merges(reads: ReadModels, document: dict) -> dict:
    """The plate in public shape, or the survivor it was merged into (``redirected_from`` lists the path).

    A survivor not (yet) in this read model, e.g. during a rebuild, answers the last plate found with
    ``redirect_unresolved`` naming the missing one.
    """
    plates = collection(reads, "doorplates")
    path, unresolved = [document["_id"]], None
    while document.get("redirect_to") and len(path) <= MAX_REDIRECTS:
        survivor = await plates.find_one({"_id": document["redirect_to"]})
        if survivor is None:
            unresolved = document["redirect_to"]
            break
        document = survivor
        path.append(document["_id"])
    result = public(document)
    if len(path) > 1:
        result["redirected_from"] = path[:-1]
    if unresolved:
        result["redirect_unresolved"] = unresolved
    return result


def doorplates_on(reads: ReadModels, scope: dict, place_code: str | None = None, road_name: str | None = None,
                  division_code: str | None = None, include_retired: bool = False) -> Worklist:
    """Door plates on a road (by code or name) or in a division, road by road in number order, inside ``scope``."""
    query: dict = {key: value for key, value in (("place_code", place_code), ("place_name", road_name),
                                                 ("division_code", division_code)) if value}
    if not include_retired:
        query["status"] = "in_use"
    return Worklist.of(Segment(collection(reads, "doorplates"), {"$and": [query, scope]}, one_each(public),
                               sort=(("place_code", 1), ("sort_key", 1), ("_id", 1))))
