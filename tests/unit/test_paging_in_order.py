"""A list already in its own order (best match first, newest first, ranked flags) pages in that order."""

from __future__ import annotations

from services.kernel.web.paging import Worklist, in_order


async def test_a_list_in_its_own_order_pages_in_that_order():
    ranked = [{"name": name} for name in ("乙", "甲", "丙")] * 400  # not in key order, repeated names
    worklist, seen, cursor = Worklist.of(in_order(ranked)), [], None
    while True:
        page = await worklist.page(cursor, limit=7)
        assert page["total"] == 1200
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [item["name"] for item in seen] == [item["name"] for item in ranked]
    assert [item["rank"] for item in seen] == [f"{n:06d}" for n in range(1, 1201)]
