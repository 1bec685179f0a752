"""Place queries (roads, compounds, communities) over the address registry read model."""

from __future__ import annotations

from services.address.views.reads import collection, public
from services.kernel.runtime import Runtime


async def place(rt: Runtime, code: str) -> dict | None:
    return await collection(rt, "places").find_one({"_id": code})


async def places(rt: Runtime, scope: dict, limit: int = 200, **filters: str | None) -> list[dict]:
    """Places matching the given exact filters (division_code, parent_code, element_type, name), by name."""
    query = {key: value for key, value in filters.items() if value}
    cursor = collection(rt, "places").find({"$and": [query, scope]}).sort("name", 1).limit(limit)
    return [public(document) async for document in cursor]
