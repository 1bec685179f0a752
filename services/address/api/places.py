"""Routes for places below the township: 社区/村委会, 街路巷, 小区/单位院, 自然村."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from services.address.application import AddressAccepted as Accepted
from services.address.commands import RegisterPlace, RenamePlace, RetirePlace, SetNumberingRule
from services.address.domain.aggregates import place_stream
from services.address.views import places as views
from services.address.views.reads import MinVersion, caught_up, public
from services.kernel.web.exports import FILE_RESPONSES, Format, answer
from services.kernel.web.paging import PAGE_DEFAULT, CursorParam, Limit
from services.kernel.web.authz import READERS, Allowed
from services.kernel.web.commands import CommandRoutes
from services.kernel.web.reads import shown_one
from services.address.bootstrap import Reads, Service

router = APIRouter(prefix="/v1/places", tags=["places 地址要素"])


commands = CommandRoutes(router, Service, Accepted)
commands.post("", RegisterPlace, "register_place", Allowed("place.register", "collector", "police", "supervisor"),
              status_code=status.HTTP_201_CREATED, summary="Register a place 登记街路巷/小区/社区等",
              responses={409: {"description": "already registered"}})


@router.get("/{code}", summary="Read a place 查询地址要素")
async def get_place(code: str, reads: Reads, caller: Allowed("address.read", *READERS), min_version: MinVersion = 0) -> dict:
    await caught_up(reads, place_stream(code), min_version, caller)
    return public(await shown_one(caller, await views.place(reads, code), "place", code))


@router.get("", summary="List places 列出地址要素 (by name; paged, or the whole list as csv/xlsx)",
            responses=FILE_RESPONSES)
async def list_places(
    reads: Reads,
    caller: Allowed("address.read", *READERS),
    division_code: Annotated[str | None, Query(description="township or county code")] = None,
    parent_code: Annotated[str | None, Query()] = None,
    element_type: Annotated[str | None, Query(description="e.g. 41 街路巷")] = None,
    name: Annotated[str | None, Query(description="exact name")] = None,
    cursor: CursorParam = None, limit: Limit = PAGE_DEFAULT, format: Format = "json",
) -> dict:
    worklist = views.places(reads, caller.scope_query(), division_code=division_code, parent_code=parent_code,
                            element_type=element_type, name=name)
    return await answer(worklist, format, cursor, limit, caller, "places")


commands.post("/{code}/rename", RenamePlace, "rename_place", Allowed("place.rename", "police", "supervisor"),
              summary="Rename 更名 (every full name under it follows)")
commands.put("/{code}/numbering-rule", SetNumberingRule, "set_numbering_rule",
             Allowed("place.numbering_rule", "police", "supervisor"), summary="Set the numbering rule 编号规则 (单双号)")
commands.post("/{code}/retire", RetirePlace, "retire_place", Allowed("place.retire", "police", "supervisor"),
              summary="Retire 撤销")
