"""Administrative divisions (行政区划) down to the township, with their history: read-only, shipped data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from contracts import divisions
from contracts.divisions import Division
from services.kernel.web.authz import READERS, allow
from services.kernel.base.errors import NotFound
from services.kernel.web.paging import PAGE_DEFAULT, CursorParam, Limit, Listed, Worklist, in_order

router = APIRouter(prefix="/v1/divisions", tags=["divisions 行政区划"], dependencies=[Depends(allow("division.read", *READERS))])


def shape(division: Division) -> dict:
    return {
        "code": division.code, "name": division.name, "level": division.level, "parent_code": division.parent_code,
        "element_type": f"{int(division.element_type)}", "valid_from": division.valid_from,
        "valid_to": division.valid_to, "current": divisions.is_current(division.code),
        "full_name": divisions.full_name(division.code),
    }


@router.get("/{code}", summary="A division and its history 查询行政区划 (e.g. 532522 蒙自县 → 532503 蒙自市)")
async def get_division(code: str) -> dict:
    division = divisions.get(code)
    if division is None:
        raise NotFound("division", code)
    successor = divisions.resolve(code)
    return {
        **shape(division),
        "history": [shape(record) | {"current": record.valid_to is None} for record in divisions.history(code)],
        "successor": shape(successor) if successor and successor.code != division.code else None,
    }


async def paged(listed: Listed, cursor: str | None, limit: int) -> dict:
    """A list route's answer (``total``, ``items``, ``next_cursor``), ``count`` (the whole list) kept beside."""
    page = await Worklist.of(listed).page(cursor, limit)
    return {**page, "count": page["total"]}


@router.get("/{code}/children", summary="Divisions directly below 下级行政区划 (paged)")
async def list_children(code: str, include_retired: bool = False, cursor: CursorParam = None,
                        limit: Limit = PAGE_DEFAULT) -> dict:
    if divisions.get(code) is None:
        raise NotFound("division", code)
    items = [shape(child) for child in divisions.children(code, include_retired=include_retired)]
    return await paged(Listed(items, "code"), cursor, limit)


@router.get("", summary="Find divisions by name 按名称查找行政区划 (best match first; paged)")
async def find_divisions(
    name: Annotated[str, Query(min_length=1, max_length=32, description="full or short name", examples=["蒙自"])],
    within: Annotated[str | None, Query(description="restrict to divisions under this code", examples=["5325"])] = None,
    cursor: CursorParam = None, limit: Limit = PAGE_DEFAULT,
) -> dict:
    found = divisions.registry().find_by_name(name, within=within)
    return await paged(in_order([shape(division) for division in found]), cursor, limit)
