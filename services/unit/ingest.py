"""Agency records of units (社会化采集 实有单位, e.g. 市场监管 registrations) as this registry's own commands.

create → 登记 (RegisterUnit); update → 补录纠错 (CorrectUnit, only the fields given); cancel → 关闭 (``on``, the
date, defaults to today). Started as a background task of the unit service by services.agency.ingest."""

from __future__ import annotations

from services.agency.consumer import ingest_consumer
from services.agency.ingest import Applied, EntityHandler
from services.unit.bootstrap import for_runtime
from services.unit.commands import ChangeStatus, CorrectUnit, RegisterUnit


def _applied(accepted) -> Applied:
    return Applied(accepted.unit_id, accepted.stream_id, accepted.version)


async def create(svc, _entity_id, fields: dict, ctx) -> Applied:
    return _applied(await svc.register(RegisterUnit.model_validate(fields), ctx))


async def update(svc, unit_id: str, fields: dict, ctx) -> Applied:
    changes = {name: value for name, value in fields.items() if name not in ("address_code", "address_text", "uscc")}
    command = CorrectUnit.model_validate({**changes, "reason": f"机构 {ctx.actor.id} 更新"})
    return _applied(await svc.correct(unit_id, command, ctx))


async def cancel(svc, unit_id: str, fields: dict, ctx) -> Applied:
    command = ChangeStatus.model_validate({"on": fields.get("on") or str(svc.today()),
                                          "reason": fields.get("reason", "机构注销")})
    return _applied(await svc.close(unit_id, command, ctx))


HANDLERS = [EntityHandler("unit", "unit-", create, update, cancel)]
consume_ingest = ingest_consumer("unit", HANDLERS, for_runtime)
