"""Agency records of persons, released prisoners and hotel stays (社会化采集 实有人口, 刑满释放人员, 旅馆住宿登记) as
this registry's own commands.

person: create → 登记 (RegisterPerson, one body per category); update → 更正 of the base fields the record carries
(the fields that did not change are left alone); cancel → 注销 (CancelPerson). released_prisoner (司法局) → a
列管申请 (ApplyKeyPersonListing, category 09 刑满释放人员 unless given) of the person the document names, waiting in
the key-person approval queue of the person's jurisdiction. hotel_stay (旅馆业) → a HotelStayRecorded of the person
the document names, which the key-person watch judges. residence (居住登记) → 入住 (MoveIn) of ``person_id``
(services/person/agency_residences.py). The fields each applies: contracts/ingest_types.py.
Started as a background task of the person service by services.agency.ingest."""

from __future__ import annotations

from pydantic import ValidationError

from services.agency.consumer import ingest_consumer
from services.agency.ingest import Applied, EntityHandler, reject
from services.person.bootstrap import for_runtime
from services.person.commands import ApplyKeyPersonListing, CancelPerson, CorrectPerson, RegisterPerson
from services.person.domain.person import CORRECTABLE
from services.person.agency_records import guest_stays, person_named
from services.person import agency_residences as residences

#: 机构更新 — the correction reason code of an agency's update
AGENCY_UPDATE_REASON = "agency"
#: 刑满释放人员 (contracts/data/key_person_categories.csv)
RELEASED_PRISONER_CATEGORY = "09"


async def create(svc, _entity_id, fields: dict, ctx) -> Applied:
    accepted = await svc.register(RegisterPerson.model_validate(fields).root, ctx)
    return Applied(accepted.person_id, accepted.stream_id, accepted.version)


async def create_many(svc, items: list[tuple[dict, object]]) -> list[Applied | Exception]:
    """Many creates at once (历史数据导入): each answered as ``create`` would answer it."""
    results: list[Applied | Exception | None] = [None] * len(items)
    valid: list[int] = []
    commands = []
    for index, (fields, ctx) in enumerate(items):
        try:
            commands.append((RegisterPerson.model_validate(fields).root, ctx))
            valid.append(index)
        except ValidationError as error:
            results[index] = error
    for index, outcome in zip(valid, await svc.register_many(commands)):
        results[index] = outcome if isinstance(outcome, Exception) else Applied(
            outcome.person_id, outcome.stream_id, outcome.version)
    return results  # type: ignore[return-value]


async def update(svc, person_id: str, fields: dict, ctx) -> Applied:
    changes = {name: value for name, value in fields.items() if name in CORRECTABLE and name != "legacy_number"}
    if not changes:
        raise reject("fields", "correction.empty", "an update names none of the correctable fields "
                     f"({', '.join(CORRECTABLE)})", "更新记录不含可更正的字段")
    command = CorrectPerson(changes=changes, reason_code=AGENCY_UPDATE_REASON,
                            remark=fields.get("remark") or f"机构 {ctx.actor.id} 更新")
    accepted = await svc.correct(person_id, command, ctx)
    return Applied(accepted.person_id, accepted.stream_id, accepted.version)


async def cancel(svc, person_id: str, fields: dict, ctx) -> Applied:
    accepted = await svc.cancel(person_id, CancelPerson.model_validate(fields), ctx)
    return Applied(accepted.person_id, accepted.stream_id, accepted.version)


async def apply_listing(svc, _entity_id, fields: dict, ctx) -> Applied:
    """司法局 hands over a released prisoner: a 列管申请 the jurisdiction's supervisor decides."""
    person = await person_named(svc, fields)
    problem = fields.get("problem") or ""
    told = "；".join(part for part in (f"刑满释放日期 {fields['released_on']}" if fields.get("released_on") else "",
                                      f"原罪名 {fields['offence']}" if fields.get("offence") else "") if part)
    body = {"person_id": person.person_id, "category_code": fields.get("category_code") or RELEASED_PRISONER_CATEGORY,
            "problem": "；".join(part for part in (problem, told) if part) or "刑满释放人员",
            **{name: fields[name] for name in ("responsible_unit", "responsible_officer", "control_level")
               if name in fields}}
    accepted = await svc.apply_key_person_listing(ApplyKeyPersonListing.model_validate(body), ctx)
    return Applied(accepted.key_person_id, accepted.stream_id, accepted.version)


HANDLERS = [EntityHandler("person", "person-", create, update, cancel, create_many=create_many),
            EntityHandler("released_prisoner", "keyperson-", apply_listing),
            EntityHandler("hotel_stay", "hotelstay-", guest_stays),
            EntityHandler("residence", "person-", residences.move_in, create_many=residences.move_in_many)]
consume_ingest = ingest_consumer("person", HANDLERS, for_runtime)
