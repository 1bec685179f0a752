"""Routes for door plates (门楼牌): register, review, renumber, locate, retire, merge, generate rooms."""

from __future__ import annotations

from itertools import islice
from typing import Annotated

from fastapi import APIRouter, Query, status

from services.address.commands import (
    AddAlias, GenerateBuilding, MergeDoorplate, Reject, Relocate, RegisterDoorplate, Renumber, RetireDoorplate, Review,
)
from services.address.application import AddressAccepted as Accepted
from services.address.domain.aggregates import doorplate_stream
from services.address.views import doorplates as views
from services.address.views.reads import MinVersion, caught_up, public
from contracts.rooms import count_plate_rooms, plate_rooms
from services.kernel.web.authz import READERS, Allowed
from services.kernel.web.commands import CommandRoutes
from services.kernel.web.exports import FILE_RESPONSES, Format, answer
from services.kernel.web.paging import PAGE_DEFAULT, CursorParam, Limit, Position, decode_cursor, encode_cursor
from services.kernel.web.reads import shown_one
from services.kernel.base.errors import DomainRuleViolation, NotFound
from services.address.bootstrap import Reads, Service

router = APIRouter(prefix="/v1/doorplates", tags=["door plates 门楼牌"])


class BuildingAccepted(Accepted):
    room_count: int


commands = CommandRoutes(router, Service, Accepted)
commands.post("", RegisterDoorplate, "register_doorplate",
              Allowed("doorplate.register", "collector", "police", "supervisor", "agency"),
              status_code=status.HTTP_201_CREATED, summary="Register a door plate 登记门楼牌",
              responses={409: {"description": "this number is already registered on the road"}})


@router.get("/{code}", summary="Read a door plate 查询门楼牌 (a merged plate answers with its survivor)")
async def get_doorplate(
    code: str, reads: Reads, caller: Allowed("address.read", *READERS), min_version: MinVersion = 0,
    follow: Annotated[bool, Query(description="follow a merged plate to the one that replaced it")] = True,
) -> dict:
    await caught_up(reads, doorplate_stream(code), min_version, caller)
    document = await shown_one(caller, await views.doorplate(reads, code), "doorplate", code, what="door plate")
    if not follow:
        return public(document)
    survivor = await views.follow_merges(reads, document)
    if survivor["code"] != code:  # merged into a plate of another jurisdiction: shown only to who may read it
        caller.require_within(survivor["division_code"], "door plate")
        await caller.accessed("doorplate", survivor["code"], survivor["division_code"])
    return survivor


@router.get("", summary="List door plates on a road 按街路巷列出门楼牌 (paged, or the whole list as csv/xlsx)",
            responses=FILE_RESPONSES)
async def list_doorplates(
    reads: Reads,
    caller: Allowed("address.read", *READERS),
    place_code: Annotated[str | None, Query(description="road or compound code")] = None,
    road_name: Annotated[str | None, Query(min_length=1, description="街路巷名称")] = None,
    division_code: Annotated[str | None, Query(description="restrict to one division")] = None,
    include_retired: bool = False,
    cursor: CursorParam = None, limit: Limit = PAGE_DEFAULT, format: Format = "json",
) -> dict:
    if not (place_code or road_name or division_code):
        raise DomainRuleViolation("place_code", "required", "give place_code, road_name or division_code",
                                  "须提供 place_code、road_name 或 division_code")
    worklist = views.doorplates_on(reads, caller.scope_query(), place_code, road_name, division_code, include_retired)
    return await answer(worklist, format, cursor, limit, caller, "doorplates")


@router.get("/{code}/rooms", summary="Rooms generated under a door plate 层户 (paged: follow next_cursor, or offset)")
async def list_rooms(
    code: str, reads: Reads, caller: Allowed("address.read", *READERS),
    building_seq: Annotated[int | None, Query(ge=1, le=99)] = None,
    unit: Annotated[int | None, Query(ge=1, le=20, description="单元")] = None,
    floor: Annotated[int | None, Query(ge=-10, le=200, description="楼层 (negative underground)")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500, offset: Annotated[int, Query(ge=0, le=3_200_000)] = 0,
    cursor: CursorParam = None,
) -> dict:
    plate = await views.doorplate(reads, code, {"full_name": 1, "buildings": 1, "division_code": 1})
    if plate is None:
        raise NotFound("doorplate", code)
    caller.require_within(plate["division_code"], "door plate")
    total = count_plate_rooms(plate, building_seq, unit, floor)
    if cursor is not None:  # rooms are generated from the building's structure: the cursor is where to go on
        offset = decode_cursor(cursor, 1, [1]).keys[0]
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise DomainRuleViolation("cursor", "cursor.invalid", "cursor is not a next_cursor of this list",
                                      "翻页游标无效")
    items = list(islice(plate_rooms(plate, building_seq, unit, floor, offset=offset), limit))
    after = offset + len(items)
    next_cursor = encode_cursor(Position(0, [after], 0)) if after < total else None
    return {"items": items, "count": len(items), "total": total, "next_cursor": next_cursor}


commands.post("/{code}/approve", Review, "review", Allowed("doorplate.approve", "police", "supervisor"),
              summary="Approve 审核通过", name="approve")
commands.post("/{code}/reject", Reject, "review", Allowed("doorplate.reject", "police", "supervisor"),
              summary="Reject 驳回", name="reject")
commands.post("/{code}/renumber", Renumber, "renumber", Allowed("doorplate.renumber", "police", "supervisor"),
              summary="Renumber 门牌号变更")
commands.put("/{code}/location", Relocate, "relocate",
             Allowed("doorplate.relocate", "collector", "police", "supervisor"),
             summary="Set the position 坐标 (WGS-84, GCJ-02 or BD-09 in)")
commands.post("/{code}/aliases", AddAlias, "add_alias", Allowed("doorplate.alias", "collector", "police", "supervisor"),
              summary="Add an alias 别名")
commands.post("/{code}/retire", RetireDoorplate, "retire_doorplate",
              Allowed("doorplate.retire", "police", "supervisor"), summary="Retire 注销 (拆迁 ...)", name="retire")
commands.post("/{code}/merge", MergeDoorplate, "merge", Allowed("doorplate.merge", "police", "supervisor"),
              summary="Merge this duplicate into a survivor 重复门牌合并")


@router.post("/{code}/buildings", status_code=status.HTTP_201_CREATED, response_model=BuildingAccepted,
             summary="Generate units × floors × rooms 生成层户")
async def generate_building(code: str, command: GenerateBuilding, svc: Service,
                            caller: Allowed("building.generate", "collector", "police", "supervisor")) -> BuildingAccepted:
    accepted, rooms = await svc.generate_building(code, command, caller.context)
    return BuildingAccepted(**accepted.model_dump(), room_count=rooms)
