"""Agency records of places, door plates and buildings (社会化采集 地名, 门牌申请, 楼栋; 民政 and 住建) as this
registry's own commands.

place: create → 登记地址要素 (RegisterPlace), update → 更名 (RenamePlace, ``name``), cancel → 撤销 (RetirePlace).
doorplate: create → 门牌申请 (RegisterDoorplate, source ``agency``): pending until approved at the configured
approval level (``YBSS_ADDRESS_APPROVAL_LEVEL``), the same path as a collector's plate; update → 门牌整顿
(Renumber, ``number``/``prefix``) and 坐标 (Relocate, ``location``); cancel → 注销 (RetireDoorplate).
building: create → 生成层户 (GenerateBuilding) on the door plate ``address_code``; its id is the plate's code.
The fields each applies: contracts/ingest_types.py. Started as a background task of the address service.
"""

from __future__ import annotations

from services.address.bootstrap import for_runtime
from services.address.commands import (
    GenerateBuilding, RegisterDoorplate, RegisterPlace, Relocate, RenamePlace, Renumber, RetireDoorplate, RetirePlace,
)
from services.agency.consumer import ingest_consumer
from services.agency.ingest import Applied, EntityHandler, reject, run_steps


def _applied(accepted) -> Applied:
    return Applied(accepted.code, accepted.stream_id, accepted.version)


async def register_place(svc, _entity_id, fields: dict, ctx) -> Applied:
    return _applied(await svc.register_place(RegisterPlace.model_validate(fields), ctx))


async def rename_place(svc, code: str, fields: dict, ctx) -> Applied:
    if "name" not in fields:
        raise reject("name", "correction.empty", "an update of a place names its new name", "地名更新须填写新名称")
    command = RenamePlace.model_validate({"new_name": fields["name"], "reason": fields.get("reason", "")})
    return _applied(await svc.rename_place(code, command, ctx))


async def retire_place(svc, code: str, fields: dict, ctx) -> Applied:
    return _applied(await svc.retire_place(code, RetirePlace.model_validate(fields), ctx))


async def apply_doorplate(svc, _entity_id, fields: dict, ctx) -> Applied:
    command = RegisterDoorplate.model_validate({**fields, "source": "agency"})
    return _applied(await svc.register_doorplate(command, ctx))


async def change_doorplate(svc, code: str, fields: dict, ctx) -> Applied:
    reason = fields.get("reason", "")
    steps = []
    if "number" in fields or "prefix" in fields:
        if "number" not in fields:
            raise reject("number", "missing", "a renumbering names the number", "门牌整顿须填写门牌号")
        steps.append(lambda: svc.renumber(code, Renumber.model_validate(
            {"number": fields["number"], "prefix": fields.get("prefix", ""), "reason": reason}), ctx))
    elif "reason" in fields:
        raise reject("reason", "field.not_permitted", "reason is the reason of a renumbering; a new location takes "
                     "none", "原因须随门牌整顿报送，坐标更新不填原因")
    if "location" in fields:
        steps.append(lambda: svc.relocate(code, Relocate.model_validate({"location": fields["location"]}), ctx))
    if not steps:
        raise reject("fields", "correction.empty", "an update names none of number, prefix, location",
                     "更新记录不含可更新的字段")
    return _applied(await run_steps(steps))


async def retire_doorplate(svc, code: str, fields: dict, ctx) -> Applied:
    return _applied(await svc.retire_doorplate(code, RetireDoorplate.model_validate(fields), ctx))


async def generate_building(svc, _entity_id, fields: dict, ctx) -> Applied:
    code = fields.get("address_code")
    if not isinstance(code, str) or not code:
        raise reject("address_code", "missing", "address_code names the door plate of the building",
                     "缺少必填字段 address_code（楼栋所在门牌）")
    command = GenerateBuilding.model_validate({name: value for name, value in fields.items() if name != "address_code"})
    accepted, _rooms = await svc.generate_building(code, command, ctx)
    return _applied(accepted)


HANDLERS = [EntityHandler("place", "place-", register_place, rename_place, retire_place),
            EntityHandler("doorplate", "doorplate-", apply_doorplate, change_doorplate, retire_doorplate),
            EntityHandler("building", "doorplate-", generate_building)]
consume_ingest = ingest_consumer("address", HANDLERS, for_runtime)
