"""Agency records of houses (社会化采集 实有房屋) as this registry's own commands.

create → 登记 (RegisterHouse); update → 补录纠错 (nature, area, rooms) and 用途变更 when ``use`` changes; a house
is not cancelled by an agency. Started as a background task of the house service by services.agency.ingest."""

from __future__ import annotations

from services.house.bootstrap import for_runtime
from services.house.commands import ChangeUse, CorrectHouse, RegisterHouse
from services.kernel.base.errors import DomainRuleViolation
from services.agency.consumer import ingest_consumer
from services.agency.ingest import Applied, EntityHandler, reject

CORRECTED = ("property_nature", "area", "rooms")


def _applied(accepted) -> Applied:
    return Applied(accepted.house_id, accepted.stream_id, accepted.version)


async def create(svc, _entity_id, fields: dict, ctx) -> Applied:
    return _applied(await svc.register(RegisterHouse.model_validate(fields), ctx))


async def update(svc, house_id: str, fields: dict, ctx) -> Applied:
    reason = f"机构 {ctx.actor.id} 更新"
    unknown = sorted(set(fields) - {*CORRECTED, "use", "address_code", "address_text"})
    if unknown:
        raise reject(unknown[0], "correction.not_correctable", f"{unknown[0]} cannot be updated by an agency",
                     f"机构不能更新 {unknown[0]}")
    corrected = {name: fields[name] for name in CORRECTED if name in fields}
    steps = []
    if corrected:
        steps.append(lambda: svc.correct(house_id, CorrectHouse(**corrected, reason=reason), ctx))
    if "use" in fields:
        steps.append(lambda: svc.change_use(house_id, ChangeUse(use=fields["use"], reason=reason), ctx))
    if not steps:
        raise reject("fields", "correction.empty", "an update names none of property_nature, area, rooms, use",
                     "更新记录不含可更新的字段")
    accepted, unchanged = None, None
    for step in steps:  # a full record resent with one change: the parts that did not change are not errors
        try:
            accepted = await step()
        except DomainRuleViolation as error:
            if "unchanged" not in error.rule:
                raise
            unchanged = unchanged or error
    if accepted is None:
        raise unchanged
    return _applied(accepted)


HANDLERS = [EntityHandler("house", "house-", create, update)]
consume_ingest = ingest_consumer("house", HANDLERS, for_runtime)
