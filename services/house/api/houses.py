"""Routes for houses (实有房屋): register, read, look up, and the record's changes other than rentals."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from services.house.application import HouseAccepted
from services.house.commands import ChangeOwner, ChangeUse, CorrectHouse, Demolish, RegisterHouse, SetKeyStatus
from services.house.domain.house import house_stream
from services.house.projections import registry
from services.house.views import houses as views
from services.kernel.web.authz import READERS, Allowed
from services.kernel.web.commands import CommandRoutes
from services.kernel.web.exports import FILE_RESPONSES, Format, answer
from services.kernel.web.paging import PAGE_DEFAULT, CursorParam, Limit
from services.kernel.web.reads import MinVersion, caught_up, shown_one
from services.house.bootstrap import Reads, Rule, Service

router = APIRouter(prefix="/v1/houses", tags=["houses 实有房屋"])


commands = CommandRoutes(router, Service, HouseAccepted)
commands.post("", RegisterHouse, "register", Allowed("house.register", "collector", "police"),
              status_code=status.HTTP_201_CREATED, summary="Register a house at a standard address 登记实有房屋",
              responses={409: {"description": "the address already has a house (named in the answer)"},
                         422: {"description": "unknown or retired address, or a field breaking a rule"}},
              name="register_house")


@router.get("", summary="Look up houses by address or tenant 按地址或承租人查询房屋 (查人知住; neither: the houses in your "
                         "jurisdiction; paged, or the whole list as csv/xlsx)", responses=FILE_RESPONSES)
async def list_houses(
    reads: Reads, rule: Rule, caller: Allowed("house.read", *READERS),
    address_code: Annotated[str | None, Query(max_length=40, description="标准地址编码 (a merged code finds its "
                                                                         "survivor's house)")] = None,
    tenant: Annotated[str | None, Query(max_length=64, description="person id of a tenant (承租人)")] = None,
    current_only: Annotated[bool, Query(description="with tenant: only where the person lives now")] = True,
    cursor: CursorParam = None, limit: Limit = PAGE_DEFAULT, format: Format = "json",
) -> dict:
    query = await views.house_query(reads, caller.scope_query("division_code"), (address_code or "").strip() or None,
                                    (tenant or "").strip() or None, current_only)
    worklist = views.house_list(reads, query, rule)
    found = await answer(worklist, format, cursor, limit, caller, "houses")
    await caller.accessed("house", None, lookup={"address_code": address_code or "", "tenant": tenant or ""},
                          result_count=len(found["items"]) if isinstance(found, dict) else await worklist.total())
    return found


@router.get("/{house_id}", summary="Read a house with its rentals, tenants and checks 查询房屋")
async def get_house(house_id: str, reads: Reads, rule: Rule, caller: Allowed("house.read", *READERS),
                    min_version: MinVersion = 0) -> dict:
    await caught_up(reads, registry.name, house_stream(house_id), min_version, "house", house_id, caller=caller)
    document = await shown_one(caller, await views.house_document(reads, house_id), "house", house_id)
    return (await views.present_many(reads, [document], rule))[0]


commands.post("/{house_id}/corrections", CorrectHouse, "correct", Allowed("house.change", "collector", "police"),
              summary="Correct the house's facts 补录纠错", name="correct_house")
commands.post("/{house_id}/use", ChangeUse, "change_use", Allowed("house.change", "collector", "police"),
              summary="Change the house's use 变更房屋用途")
commands.post("/{house_id}/owner", ChangeOwner, "change_owner", Allowed("house.change", "collector", "police"),
              summary="Change the owner 变更产权人")
commands.post("/{house_id}/key-status", SetKeyStatus, "set_key_status", Allowed("house.key_status", "supervisor"),
              summary="Set management level / key house directly 督导直接设置管理等级与重点房屋 (police request it: "
                      "/key-status-requests)")
commands.post("/{house_id}/demolish", Demolish, "demolish", Allowed("house.demolish", "police", "supervisor"),
              summary="The house is demolished or lost 房屋拆除/灭失 (its current rentals end with the reason)",
              responses={409: {"description": "the house is already demolished (house.demolished)"}})
