"""Agency records of houses, rentals and tenants (社会化采集 实有房屋, 出租登记, 承租人) as this registry's commands.

house: create → 登记 (RegisterHouse); update → 补录纠错 (nature, area, rooms), 用途变更 and 产权变更, each when its
field is given (a house is not cancelled by an agency). rental: create → 出租登记 (StartRental) on ``house_id``,
cancel → 租赁终止 (EndRental); its id is ``<house_id>/<rental_id>``. tenant: create → 入住 (AddTenant) of
``person_id`` into ``rental_id`` of ``house_id``, cancel → 搬离; its id is ``<house_id>/<rental_id>/<person_id>``.
The fields each applies: contracts/ingest_types.py. Started as a background task of the house service.
"""

from __future__ import annotations

from services.agency.consumer import ingest_consumer
from services.agency.ingest import Applied, EntityHandler, reject, run_steps
from services.house.bootstrap import for_runtime
from services.kernel.eventsourcing.bulk import parsed_many
from services.house.commands import (
    AddTenant, ChangeOwner, ChangeUse, CorrectHouse, EndRental, RegisterHouse, StartRental, TenantMoveOut,
)

CORRECTED = ("property_nature", "area", "rooms")


def _applied(accepted, entity_id: str | None = None) -> Applied:
    return Applied(entity_id or accepted.house_id, accepted.stream_id, accepted.version)


def _reason(fields: dict, ctx) -> str:
    return fields.get("reason") or f"机构 {ctx.actor.id} 更新"


async def create(svc, _entity_id, fields: dict, ctx) -> Applied:
    return _applied(await svc.register(RegisterHouse.model_validate(fields), ctx))


async def create_many(svc, items: list[tuple[dict, object]]) -> list[Applied | Exception]:
    """Many creates at once (历史数据导入): each answered as ``create`` would answer it."""
    return await parsed_many(items, RegisterHouse.model_validate, svc.register_many, _applied)


async def update(svc, house_id: str, fields: dict, ctx) -> Applied:
    reason = _reason(fields, ctx)
    corrected = {name: fields[name] for name in CORRECTED if name in fields}
    steps = []  # the owner (a person or unit that must exist) first, so a refusal rarely follows a change
    if "owner" in fields:
        steps.append(lambda: svc.change_owner(house_id, ChangeOwner.model_validate(
            {"owner": fields["owner"], "reason": reason}), ctx))
    if corrected:
        steps.append(lambda: svc.correct(house_id, CorrectHouse(**corrected, reason=reason), ctx))
    if "use" in fields:
        steps.append(lambda: svc.change_use(house_id, ChangeUse(use=fields["use"], reason=reason), ctx))
    if not steps:
        raise reject("fields", "correction.empty", "an update names none of property_nature, area, rooms, use, owner",
                     "更新记录不含可更新的字段")
    return _applied(await run_steps(steps))


def _parts(entity_id: str, count: int) -> list[str]:
    return entity_id.split("/", count - 1)


async def start_rental(svc, _entity_id, fields: dict, ctx) -> Applied:
    house_id = _required(fields, "house_id")
    accepted = await svc.start_rental(house_id, StartRental.model_validate(_without(fields, "house_id")), ctx)
    return _applied(accepted, f"{house_id}/{accepted.rental_id}")


async def end_rental(svc, entity_id: str, fields: dict, ctx) -> Applied:
    house_id, rental_id = _parts(entity_id, 2)
    return _applied(await svc.end_rental(house_id, rental_id, EndRental.model_validate(fields), ctx), entity_id)


async def add_tenant(svc, _entity_id, fields: dict, ctx) -> Applied:
    house_id, rental_id = _required(fields, "house_id"), _required(fields, "rental_id")
    command = AddTenant.model_validate(_without(fields, "house_id", "rental_id"))
    accepted = await svc.add_tenant(house_id, rental_id, command, ctx)
    return _applied(accepted, f"{house_id}/{rental_id}/{command.person_id}")


async def tenant_moves_out(svc, entity_id: str, fields: dict, ctx) -> Applied:
    house_id, rental_id, person_id = _parts(entity_id, 3)
    accepted = await svc.tenant_moves_out(house_id, rental_id, person_id, TenantMoveOut.model_validate(fields), ctx)
    return _applied(accepted, entity_id)


def _required(fields: dict, name: str) -> str:
    value = fields.get(name)
    if not isinstance(value, str) or not value:
        raise reject(name, "missing", f"{name} is required", f"缺少必填字段 {name}")
    return value


def _without(fields: dict, *names: str) -> dict:
    return {name: value for name, value in fields.items() if name not in names}


def _rental_of(event: dict) -> str:
    return f"{event['stream_id'].removeprefix('house-')}/{event['payload']['rental_id']}"


def _tenant_of(event: dict) -> str:
    return f"{_rental_of(event)}/{event['payload']['person_id']}"


HANDLERS = [EntityHandler("house", "house-", create, update, create_many=create_many),
            EntityHandler("rental", "house-", start_rental, cancel=end_rental, entity_of=_rental_of),
            EntityHandler("tenant", "house-", add_tenant, cancel=tenant_moves_out, entity_of=_tenant_of)]
consume_ingest = ingest_consumer("house", HANDLERS, for_runtime)
