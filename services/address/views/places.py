"""Place queries (roads, compounds, communities) over the address registry read model."""

from __future__ import annotations

from services.address.views.reads import collection, public
from services.kernel.web.paging import Segment, Worklist, one_each
from services.kernel.messaging.read_models import ReadModels


async def place(reads: ReadModels, code: str) -> dict | None:
    return await collection(reads, "places").find_one({"_id": code})


def places(reads: ReadModels, scope: dict, **filters: str | None) -> Worklist:
    """Places matching the given exact filters (division_code, parent_code, element_type, name), by name."""
    query = {key: value for key, value in filters.items() if value}
    return Worklist.of(Segment(collection(reads, "places"), {"$and": [query, scope]}, one_each(public),
                               sort=(("name", 1), ("_id", 1))))
