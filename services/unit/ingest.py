"""Agency records of units and employees (社会化采集 实有单位, 从业人员; e.g. 市场监管 registrations with their
licences 证照) as this registry's own commands.

unit: create → 登记 (RegisterUnit, licences included); update → 补录纠错 (CorrectUnit) of the fields given, 补录信用代码
(RecordUscc) when ``uscc`` is given, 迁址 (Relocate, on ``moved_on`` or today) when ``address_code`` is given;
cancel → 关闭 (``on``, the date, defaults to today). employee: create → 入职 (Hire) of ``person_id`` at ``unit_id``,
cancel → 离职 (Leave); its id is ``<unit_id>/<person_id>``. The fields each applies: contracts/ingest_types.py.
Started as a background task of the unit service by services.agency.ingest.
"""

from __future__ import annotations

from services.agency.consumer import ingest_consumer
from services.agency.ingest import Applied, EntityHandler, reject, run_steps
from services.unit.bootstrap import for_runtime
from services.kernel.eventsourcing.bulk import parsed_many
from services.unit.commands import ChangeStatus, CorrectUnit, Hire, Leave, RecordUscc, Relocate, RegisterUnit

CORRECTED = ("name", "aliases", "unit_type", "industry_code", "legal_representative", "security_person", "phone",
             "business_scope", "area", "capacity")


def _applied(accepted, entity_id: str | None = None) -> Applied:
    return Applied(entity_id or accepted.unit_id, accepted.stream_id, accepted.version)


async def create(svc, _entity_id, fields: dict, ctx) -> Applied:
    return _applied(await svc.register(RegisterUnit.model_validate(fields), ctx))


async def create_many(svc, items: list[tuple[dict, object]]) -> list[Applied | Exception]:
    """Many creates at once (历史数据导入): each answered as ``create`` would answer it."""
    return await parsed_many(items, RegisterUnit.model_validate, svc.register_many, _applied)


async def update(svc, unit_id: str, fields: dict, ctx) -> Applied:
    reason = fields.get("reason") or f"机构 {ctx.actor.id} 更新"
    changes = {name: fields[name] for name in CORRECTED if name in fields}
    steps = []  # the steps that may refuse (a code's check, an address) first, so a refusal rarely follows a change
    if "uscc" in fields:
        steps.append(lambda: svc.record_uscc(unit_id, RecordUscc.model_validate(
            {"uscc": fields["uscc"], "reason": reason}), ctx))
    if "address_code" in fields:
        steps.append(lambda: svc.relocate(unit_id, Relocate.model_validate(
            {"address_code": fields["address_code"], "moved_on": fields.get("moved_on") or str(svc.today())}), ctx))
    elif "moved_on" in fields:
        raise reject("moved_on", "field.not_permitted", "moved_on applies only with a new address_code",
                     "迁址日期须与新地址一同报送")
    if changes:
        steps.append(lambda: svc.correct(unit_id, CorrectUnit.model_validate({**changes, "reason": reason}), ctx))
    if "reason" in fields and not changes and "uscc" not in fields:
        raise reject("reason", "field.not_permitted", "reason is the reason of a correction or a USCC; a relocation "
                     "takes none", "纠错原因须随纠错内容或信用代码报送，迁址不填原因")
    if not steps:
        raise reject("fields", "correction.empty", "an update names no field it could change", "更新记录不含可更新的字段")
    return _applied(await run_steps(steps))


async def cancel(svc, unit_id: str, fields: dict, ctx) -> Applied:
    command = ChangeStatus.model_validate({"on": fields.get("on") or str(svc.today()),
                                          "reason": fields.get("reason", "机构注销")})
    return _applied(await svc.close(unit_id, command, ctx))


async def hire(svc, _entity_id, fields: dict, ctx) -> Applied:
    unit_id = fields.get("unit_id")
    if not isinstance(unit_id, str) or not unit_id:
        raise reject("unit_id", "missing", "unit_id is required", "缺少必填字段 unit_id")
    command = Hire.model_validate({name: value for name, value in fields.items() if name != "unit_id"})
    return _applied(await svc.hire(unit_id, command, ctx), f"{unit_id}/{command.person_id}")


async def leave(svc, entity_id: str, fields: dict, ctx) -> Applied:
    unit_id, person_id = entity_id.split("/", 1)
    return _applied(await svc.leave(unit_id, person_id, Leave.model_validate(fields), ctx), entity_id)


def _employee_of(event: dict) -> str:
    return f"{event['stream_id'].removeprefix('unit-')}/{event['payload']['person_id']}"


HANDLERS = [EntityHandler("unit", "unit-", create, update, cancel, create_many=create_many),
            EntityHandler("employee", "unit-", hire, cancel=leave, entity_of=_employee_of)]
consume_ingest = ingest_consumer("unit", HANDLERS, for_runtime)
