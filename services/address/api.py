"""HTTP routes of the address service: commands in, read models out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field

from contracts.address import DoorplateRegistered, PlaceRegistered
from services.address import divisions
from services.address.domain import Doorplate, Place, doorplate_stream, place_stream
from services.address.projections import registry
from services.kernel.aggregate import CommandContext, Repository
from services.kernel.auth import current_actor
from services.kernel.deps import command_context, runtime, wait_for_version
from services.kernel.errors import DomainRuleViolation, NotFound
from services.kernel.runtime import Runtime
from services.kernel.claims import claim, owner_of, release
from services.kernel.sequences import next_value

router = APIRouter(prefix="/v1", tags=["standard addresses 标准地址"], dependencies=[Depends(current_actor)])

ROAD = "41"


class RegisterDoorplate(BaseModel):
    """Command: register a door plate (门楼牌) on a road in a division."""

    division_code: str = Field(description="township (9 digits) or county (6 digits) code", examples=["532503001"])
    road_name: str = Field(min_length=1, max_length=64, description="街路巷名称", examples=["天马路"])
    number: str = Field(min_length=1, max_length=16, pattern=r"^\S+$", description="门牌号", examples=["18"])
    prefix: str = Field(default="", max_length=8, description="门牌号前缀")
    suffix: str = Field(default="号", max_length=4, description="门牌号后缀")


class CommandAccepted(BaseModel):
    code: str
    stream_id: str
    version: int = Field(description="stream version after the command; pass as min_version to read your write")


def check_division(code: str) -> None:
    if divisions.get(code) is None:
        raise DomainRuleViolation("division_code", "division.unknown",
                                  f"division code {code!r} is not a known province, prefecture, county or township",
                                  f"行政区划代码 {code} 不存在")


async def find_or_register_road(rt: Runtime, division_code: str, name: str, ctx: CommandContext) -> str:
    """Roads are registered on first use of their name in a division; later uses find the same one."""
    key = f"place:{division_code}:{ROAD}:{name}"
    existing = await owner_of(rt.db, key)
    if existing:
        return existing
    sequence = await next_value(rt.db, f"place:{division_code}")
    code = f"{division_code.ljust(9, '0')}{ROAD}{sequence:04d}"
    winner = await claim(rt.db, key, code)
    if winner != code:
        return winner
    event = PlaceRegistered(code=code, element_type=ROAD, name=name, parent_code=division_code,
                            division_code=division_code)
    try:
        await Repository(rt.store, Place).save(Place.register(event), ctx)
    except BaseException:
        await release(rt.db, key, code)
        raise
    return code


@router.post("/doorplates", status_code=status.HTTP_201_CREATED, response_model=CommandAccepted,
             summary="Register a door plate 登记门楼牌")
async def register_doorplate(
    command: RegisterDoorplate,
    ctx: Annotated[CommandContext, Depends(command_context)],
    rt: Annotated[Runtime, Depends(runtime)],
) -> CommandAccepted:
    check_division(command.division_code)
    road_code = await find_or_register_road(rt, command.division_code, command.road_name.strip(), ctx)
    sequence = await next_value(rt.db, f"doorplate:{road_code}")
    code = f"{road_code}{sequence:05d}"
    event = DoorplateRegistered(
        code=code, division_code=command.division_code, place_code=road_code, place_name=command.road_name.strip(),
        prefix=command.prefix, number=command.number, suffix=command.suffix,
    )
    doorplate = Doorplate.register(event)
    await Repository(rt.store, Doorplate).save(doorplate, ctx)
    return CommandAccepted(code=code, stream_id=doorplate.id, version=doorplate.version)


@router.get("/doorplates/{code}", summary="Read a door plate 查询门楼牌")
async def get_doorplate(
    code: str,
    rt: Annotated[Runtime, Depends(runtime)],
    min_version: Annotated[int, Query(ge=0, description="wait until the read model has applied this version")] = 0,
) -> dict:
    doorplates = rt.read_model(registry.name, "doorplates")

    async def applied() -> int:
        return await rt.runners[registry.name].applied_version(doorplate_stream(code))

    if min_version:
        await wait_for_version(doorplate_stream(code), min_version, applied, rt.settings.read_wait_timeout_seconds)
    document = await doorplates.find_one({"_id": code})
    if document is None:
        raise NotFound("doorplate", code)
    return public(document)


@router.get("/doorplates", summary="List door plates on a road 按街路巷列出门楼牌")
async def list_doorplates(
    rt: Annotated[Runtime, Depends(runtime)],
    road_name: Annotated[str, Query(min_length=1, description="街路巷名称")],
    division_code: Annotated[str | None, Query(description="restrict to one division")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict:
    query: dict = {"place_name": road_name}
    if division_code:
        query["division_code"] = division_code
    cursor = rt.read_model(registry.name, "doorplates").find(query).sort([("division_code", 1), ("sort_key", 1)]).limit(limit)
    items = [public(document) async for document in cursor]
    return {"items": items, "count": len(items)}


def public(document: dict) -> dict:
    document = dict(document)
    document["code"] = document.pop("_id")
    document["version"] = document.pop("_version")
    document.pop("sort_key", None)
    return document
