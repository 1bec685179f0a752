"""The worklist kernel on the real MongoDB-compatible server, on the shapes the routes use beyond a plain find:
several segments (logic errors, rule after rule), documents giving several items or none (a house's unchecked
rentals, a group-rental rule judged when read), a descending sort key shared by many documents (alerts' raised_at).
Whatever the page size, every item comes exactly once, in order, under the whole list's total."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.kernel.web.paging import Segment, Worklist, counts_per_division, one_each
from services.kernel.messaging.runtime import mongo_client
from services.kernel.base.settings import get_settings

DOCUMENTS = 1500


@pytest.fixture(scope="module")
async def collection():
    settings = get_settings()
    client = mongo_client(settings)
    found = client[settings.database_name("worklists")][f"w{uuid.uuid4().hex[:8]}"]
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    await found.insert_many([{"_id": f"H{n:05d}", "division_code": f"53250300{1 + n % 3}", "rentals": n % 4,
                              "at": start + timedelta(hours=n % 10)} for n in range(DOCUMENTS)])
    yield found
    await found.drop()
    await client.close()


def expected(documents: range, rows) -> list[tuple[str, int]]:
    return [(f"H{n:05d}", k) for n in documents for k in range(rows(n))]


async def every_page(worklist: Worklist, limit: int) -> tuple[list, set[int]]:
    items, totals, cursor = [], set(), None
    while True:
        page = await worklist.page(cursor, limit)
        items += page["items"]
        totals.add(page["total"])
        if (cursor := page["next_cursor"]) is None:
            return items, totals


async def rental_rows(documents: list[dict]) -> list[list[dict]]:
    """0 to 3 items per document, as a house gives one row per unchecked rental."""
    return [[{"id": d["_id"], "k": k, "division_code": d["division_code"], "rule": "r"} for k in range(d["rentals"])]
            for d in documents]


@pytest.mark.parametrize("limit", [1, 7, 100, 1000])
async def test_documents_giving_several_items_or_none_page_exactly_once(collection, limit):
    worklist = Worklist.of(Segment(collection, {}, rental_rows, one_per_document=False))
    items, totals = await every_page(worklist, limit)
    assert [(i["id"], i["k"]) for i in items] == expected(range(DOCUMENTS), lambda n: n % 4)
    assert totals == {len(items)} == {1500 * 6 // 4}, "the whole list's total, carried from the first page"


async def test_segments_follow_each_other_and_the_total_adds_them(collection):
    low, high = {"_id": {"$lt": "H00400"}}, {"_id": {"$gte": "H01200"}}
    worklist = Worklist.of(Segment(collection, high, one_each(lambda d: {"id": d["_id"]})),
                           Segment(collection, low, rental_rows, one_per_document=False))
    items, totals = await every_page(worklist, 97)
    assert [i["id"] for i in items[:300]] == [f"H{n:05d}" for n in range(1200, 1500)]
    assert [(i["id"], i["k"]) for i in items[300:]] == expected(range(400), lambda n: n % 4)
    assert totals == {len(items)}
    total, per_division = await counts_per_division(Worklist.of(Segment(collection, low, rental_rows,
                                                                        one_per_document=False)))
    assert total == 600 and sum(counts["r"] for counts in per_division.values()) == 600


async def test_a_descending_key_shared_by_many_documents_pages_on_its_id(collection):
    worklist = Worklist.of(Segment(collection, {"division_code": "532503002"}, one_each(lambda d: d),
                                   sort=(("at", -1), ("_id", 1))))
    items, totals = await every_page(worklist, 33)
    ordered = sorted((d for d in range(DOCUMENTS) if d % 3 == 1), key=lambda n: (-(n % 10), n))
    assert [i["_id"] for i in items] == [f"H{n:05d}" for n in ordered] and totals == {500}
