"""以业管人 paged: a unit's employments walk page by page, current ones first, every one exactly once, whatever
the unit's size (no cap on the join: each chunk reads its own persons)."""

from __future__ import annotations

from services.unit.views.employees import Employments, numbered
from services.kernel.web.paging import Worklist


def unit_with(current: int, past: int) -> dict:
    employees = [{"person_id": f"P{n}", "position": "店员", "hired": "2025-01-01", "left": None}
                 for n in range(current)]
    employees += [{"person_id": f"Q{n}", "position": "保安", "hired": "2024-01-01", "left": "2025-01-01"}
                  for n in range(past)]
    employees.insert(1, {"person_id": "P0", "position": "店长", "hired": "2023-01-01", "left": "2024-06-01"})  # hired twice
    return {"employees": employees}


def worklist_of(unit: dict, joined: list[int]) -> Worklist:
    async def join(chunk: list[dict]) -> list[dict]:
        joined.append(len(chunk))
        return [{**employment, "name": f"姓名{employment['person_id']}"} for employment in chunk]

    employments = numbered(unit)
    return Worklist.of(Employments([e for e in employments if not e["left"]], join),
                       Employments([e for e in employments if e["left"]], join))


async def test_a_unit_of_6000_employees_walks_every_page_with_its_total():
    unit, joined = unit_with(current=4000, past=1999), []
    worklist = worklist_of(unit, joined)
    seen, cursor, pages = [], None, 0
    while True:
        page = await worklist.page(cursor, limit=1000)
        assert page["total"] == 6000
        seen += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 6 and len(seen) == 6000
    assert len({item["employment_no"] for item in seen}) == 6000  # each employment once, P0's two as well
    assert [item["left"] is None for item in seen] == [True] * 4000 + [False] * 2000  # current first
    assert all(item["name"] == f"姓名{item['person_id']}" for item in seen)
    assert max(joined) <= 1001  # each chunk joined on its own: no read of every person at once


async def test_the_whole_list_for_an_export_is_every_employment():
    unit = unit_with(current=3, past=2)
    items = [item async for item in worklist_of(unit, []).items()]
    assert [item["person_id"] for item in items] == ["P0", "P1", "P2", "P0", "Q0", "Q1"]
