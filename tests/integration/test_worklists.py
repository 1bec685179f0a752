"""Worklists people can work through (issue 17): every item exactly once across pages, a correct total, a bad
cursor named, and the whole list as CSV and xlsx equal to the JSON pages and masked like them.

The address review queue (地址治理待办) is the list under test: its read model is a plain collection the test can
fill with 2,345 items directly (sharing a few queued_at values, so the keyset's _id tie-break is exercised),
and its items carry free text, which the masking policy scrubs of ID numbers and phones for a collector.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from asgi_lifespan import LifespanManager
from openpyxl import load_workbook

from services.ingest.addresses import REVIEWS
from services.kernel.web.auth import mint_token

TOWNSHIP = "532503001"
SUPERVISOR = {"Authorization": "Bearer " + mint_token("SV-0017", "supervisor", TOWNSHIP)}
COLLECTOR = {"Authorization": "Bearer " + mint_token("GC-0017", "collector", TOWNSHIP)}
ID_NUMBER, PHONE = "53250319900307122X", "13800138000"
PLANTED = 2345


@pytest.fixture(scope="module")
async def ingest():
    from services.ingest.app import build_app

    app = build_app()
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=120) as manager:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://ingest",
                                     timeout=120) as client:
            client.fastapi = app
            yield client


@pytest.fixture(scope="module")
async def planted(ingest) -> set[str]:
    """2,345 open reviews in the township, five queued_at values shared by hundreds each."""
    batch = uuid.uuid4().hex[:8]
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    documents = [{"_id": f"wl-{batch}-{n:05d}", "agency": "wl-grid-app", "agency_name": "网格采集", "record_id": f"r{n}",
                  "entity_type": "house", "division_code": TOWNSHIP, "state": "open",
                  "text": f"天马路{n}号 房东张三 身份证{ID_NUMBER} 电话{PHONE}", "candidate": None, "threshold": 0.9,
                  "queued_at": start + timedelta(minutes=n % 5)} for n in range(PLANTED)]
    await ingest.fastapi.state.runtime.db[REVIEWS].insert_many(documents)
    return {document["_id"] for document in documents}


async def every_page(client, headers: dict, limit: int) -> tuple[list[dict], set[int]]:
    items, totals, cursor = [], set(), None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/v1/ingest/reviews", params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) >= {"total", "items", "next_cursor"} and len(page["items"]) <= limit
        items += page["items"]
        totals.add(page["total"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items, totals


async def test_paging_collects_every_item_exactly_once_with_the_total(ingest, planted):
    for limit in (1000, 137):
        items, totals = await every_page(ingest, SUPERVISOR, limit)
        ids = [item["review_id"] for item in items]
        assert len(ids) == len(set(ids)), "an item on two pages"
        assert planted <= set(ids), f"{len(planted - set(ids))} planted items never listed (limit {limit})"
        assert totals == {len(ids)}, "the total is the whole list's, on every page"
        queued = [item["queued_at"] for item in items]
        assert queued == sorted(queued), "oldest first across pages"


async def test_a_bad_cursor_is_422_naming_cursor(ingest, planted):
    for bad in ("not-a-cursor!", "eyJzIjo5LCJrIjpbXSwiaSI6MH0", "e30"):  # garbage, a segment it lacks, {}
        response = await ingest.get("/v1/ingest/reviews", params={"cursor": bad}, headers=SUPERVISOR)
        assert response.status_code == 422, response.text
        [detail] = response.json()["detail"]
        assert detail["loc"] == ["query", "cursor"] and detail["type"] == "cursor.invalid"
    too_many = await ingest.get("/v1/ingest/reviews", params={"limit": 1001}, headers=SUPERVISOR)
    assert too_many.status_code == 422 and too_many.json()["detail"][0]["loc"] == ["query", "limit"]


def csv_rows(body: bytes) -> list[dict[str, str]]:
    assert body.startswith("\ufeff".encode()), "a BOM, so Excel reads UTF-8"
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def xlsx_rows(body: bytes) -> list[dict[str, object]]:
    sheet = load_workbook(io.BytesIO(body), read_only=True).worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows)
    return [dict(zip(header, row)) for row in rows]


async def test_csv_and_xlsx_exports_are_the_whole_list_as_the_pages_show_it(ingest, planted):
    pages, _ = await every_page(ingest, SUPERVISOR, 1000)
    shown = [(item["review_id"], item["text"], item["division_code"], item["state"]) for item in pages
             if item["review_id"] in planted]
    for fmt, read in (("csv", csv_rows), ("xlsx", xlsx_rows)):
        response = await ingest.get("/v1/ingest/reviews", params={"format": fmt}, headers=SUPERVISOR)
        assert response.status_code == 200, response.text
        assert response.headers["content-disposition"] == f'attachment; filename="address-reviews-open.{fmt}"'
        rows = read(response.content)
        exported = [(row["review_id"], row["text"], row["division_code"], row["state"]) for row in rows
                    if row["review_id"] in planted]
        assert exported == shown, f"{fmt}: the export differs from the pages"
        assert len({row["review_id"] for row in rows}) == len(rows) >= PLANTED


async def test_exports_for_a_collector_hold_no_unmasked_classified_value(ingest, planted):
    page = (await ingest.get("/v1/ingest/reviews", params={"limit": 5}, headers=COLLECTOR)).json()
    assert page["items"] and all(ID_NUMBER not in item["text"] and PHONE not in item["text"] for item in page["items"])
    whole = (await ingest.get("/v1/ingest/reviews", params={"format": "csv"}, headers=SUPERVISOR)).content
    assert ID_NUMBER.encode() in whole, "a supervisor sees the number whole (the policy, not a blanket scrub)"
    for fmt, read in (("csv", csv_rows), ("xlsx", xlsx_rows)):
        response = await ingest.get("/v1/ingest/reviews", params={"format": fmt}, headers=COLLECTOR)
        assert response.status_code == 200, response.text
        rows = [row for row in read(response.content) if row["review_id"] in planted]
        assert len(rows) == PLANTED
        cells = " ".join(str(value) for row in rows for value in row.values())
        assert ID_NUMBER not in cells and PHONE not in cells, f"{fmt}: an unmasked classified value"
        assert "5325**********122X" in cells and "138****8000" in cells
