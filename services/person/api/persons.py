"""Routes for persons (实有人口): register, read (following merges), look up, residences, changes, deadlines.

Every response masks ID numbers, phones and names as the caller's role and jurisdiction require
(services.kernel.base.masking, by the classification in contracts.personal); every read of one person and every
lookup by ID number, name or phone leaves an access-log entry (查询留痕).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, status

from contracts.person_deadlines import FLAG_NAMES_ZH, Flag
from services.kernel.web.access_trace import asked, returned
from services.kernel.web.authz import Allowed, Caller
from services.kernel.web.commands import CommandRoutes
from services.kernel.web.exports import FILE_RESPONSES, Format, answer
from services.kernel.web.paging import PAGE_DEFAULT, CursorParam, Limit, Segment, Worklist, in_order
from services.kernel.base.masking import mask_id, mask_name, mask_person, mask_phone, visibility
from services.kernel.web.reads import MinVersion, caught_up, public, shown_one
from services.person.bootstrap import Reads, Service
from services.person.api.examples import REGISTRATIONS
from services.person.application import PersonAccepted
from services.person.commands import (
    CancelPerson, ChangeAccommodation, ChangeCategory, ChangeResidenceDetails, ChangeStay, CorrectPerson,
    IssueResidencePermit, MergePerson, MoveIn, MoveOut, RegisterHousehold, RegisterPerson, RenewMigrantRegistration, SettleMigrant,
)
from services.person.domain.person import person_stream
from services.person.projections import REGISTRY
from services.person.views import deadlines as deadline_views
from services.person.views.persons import (
    QueryRuleViolation, current_address, deadline_flags, lookup_query, normalised_lookup_number, person_by_id, persons,
    residences,
)

router = APIRouter(prefix="/v1/persons", tags=["persons 实有人口"])

READ_ROLES = ("collector", "police", "supervisor", "agency")
CHANGE_ROLES = ("collector", "police", "supervisor")
AsOf = Annotated[datetime | None, Query(description="the clock deadlines are computed against (default: now)",
                                         examples=["2026-11-27T08:00:00+08:00"])]
Category = Literal["registered", "lodger", "migrant", "foreigner", "unregistered"]


def shown(caller: Caller, document: dict, **extra) -> dict:
    record = public(document, "person_id")
    record.pop("document_number_reversed", None)
    record.update(extra)
    return mask_person(record, visibility(caller.actor.role, caller.within(document.get("division_code"))))


def logged_keys(caller: Caller, keys: dict[str, str]) -> dict[str, str]:
    """The lookup as the caller saw it: what their role may not see is masked in the access log too."""
    seen = visibility(caller.actor.role, True)
    logged = dict(keys)
    if "id_number" in logged:
        number = normalised_lookup_number(logged["id_number"])[0]
        logged["id_number"] = number if seen.id_numbers else mask_id(number)
    if "phone" in logged and not seen.phones:
        logged["phone"] = mask_phone(logged["phone"])
    if "name" in logged and not seen.names:
        logged["name"] = mask_name(logged["name"])
    return logged


def _as_of(as_of: datetime | None) -> datetime:
    if as_of is None:
        return datetime.now(timezone.utc)
    return as_of if as_of.tzinfo else as_of.replace(tzinfo=timezone.utc)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PersonAccepted,
             summary="Register a person 登记实有人口 (one body per category)",
             responses={409: {"description": "this document number is already registered: inside your jurisdiction "
                                        "the answer names the person; outside it only the county and how to ask "
                                        "for a transfer (协查), person.registered_elsewhere"}})
async def register_person(
    command: Annotated[RegisterPerson, Body(openapi_examples=REGISTRATIONS)], svc: Service,
    caller: Allowed("person.register", "collector", "police", "supervisor", "agency"),
) -> PersonAccepted:
    return await svc.register(command.root, caller.context)


@router.get("/deadlines", summary="Persons with a deadline flag 期限预警 (in your jurisdiction; paged, or the whole "
                                  "list as csv/xlsx)", responses=FILE_RESPONSES)
async def list_deadlines(
    reads: Reads, caller: Allowed("person.deadlines", "police", "supervisor"),
    flag: Annotated[Flag, Query(description="which deadline: " + ", ".join(f"{f} {FLAG_NAMES_ZH[f]}" for f in Flag))],
    as_of: AsOf = None, cursor: CursorParam = None, limit: Limit = PAGE_DEFAULT, format: Format = "json",
) -> dict:
    moment = _as_of(as_of)
    worklist = deadline_views.with_flag(reads, flag, moment, caller.scope_query("division_code"),
                                        lambda document: shown(caller, document, flags=deadline_flags(document, moment)))
    found = await answer(worklist, format, cursor, limit, caller, f"deadlines-{flag}", logged_as="person")
    return {"flag": flag, "flag_zh": FLAG_NAMES_ZH[flag], "as_of": moment, **found} if isinstance(found, dict) else found


@router.get("/{person_id}", summary="Read a person 查询实有人口 (a merged record answers with its survivor)")
async def get_person(person_id: str, reads: Reads, caller: Allowed("person.read", *READ_ROLES), min_version: MinVersion = 0,
                     follow: Annotated[bool, Query(description="follow a merged record to its survivor")] = True,
                     as_of: AsOf = None) -> dict:
    await caught_up(reads, REGISTRY, person_stream(person_id), min_version, "person", person_id, caller=caller)
    document, redirected_from = await person_by_id(reads, person_id, follow)
    await shown_one(caller, document, "person", person_id)
    return shown(caller, document, redirected_from=redirected_from, flags=deadline_flags(document, _as_of(as_of)),
                 current_address=await current_address(reads, document))


@router.get("", summary="Look up persons 查询人员 (by ID number, last 6+ characters, name or phone, or a category; "
                         "paged, or the whole list as csv/xlsx)", responses=FILE_RESPONSES)
async def lookup_persons(
    reads: Reads, caller: Allowed("person.lookup", *READ_ROLES),
    id_number: Annotated[str | None, Query(max_length=40, description="证件号码 (normalised; 15-digit accepted)",
                                           examples=["53250319900307122X"])] = None,
    id_number_suffix: Annotated[str | None, Query(min_length=1, max_length=40,
                                                  description="证件号码后N位 (at least 6)")] = None,
    name: Annotated[str | None, Query(max_length=64, description="姓名 or 曾用名 (exact)")] = None,
    phone: Annotated[str | None, Query(max_length=32, description="联系电话")] = None,
    category: Category | None = None,
    include_merged: bool = False, as_of: AsOf = None,
    cursor: CursorParam = None, limit: Limit = PAGE_DEFAULT, format: Format = "json",
) -> dict:
    keys = {key: value for key, value in (("id_number", id_number), ("id_number_suffix", id_number_suffix),
                                         ("name", name), ("phone", phone)) if value}
    if not keys and not category:
        raise QueryRuleViolation("id_number", "lookup.key_required",
                                  "give id_number, id_number_suffix, name, phone or category", "须提供查询条件")
    query = lookup_query(caller.scope_query("division_code"), id_number=id_number, id_number_suffix=id_number_suffix,
                         name=name, phone=phone, category=category, include_inactive=include_merged)
    moment = _as_of(as_of)

    async def rows(documents: list[dict]) -> list[list[dict]]:
        return [[shown(caller, d, flags=deadline_flags(d, moment), current_address=await current_address(reads, d))]
                for d in documents]

    worklist = Worklist.of(Segment(persons(reads), query, rows))
    found = await answer(worklist, format, cursor, limit, caller, "persons")
    items = found["items"] if isinstance(found, dict) else []
    one = items[0] if len(items) == 1 and (not isinstance(found, dict) or found["total"] == 1) else None
    await caller.accessed("person", one["person_id"] if one else None,  # a category search too
                          one["division_code"] if one else None,
                          lookup={**asked(caller), **logged_keys(caller, {key: value for key, value in keys.items()
                                                                          if key != "id_number_suffix"})},
                          result_count=len(items) if isinstance(found, dict) else await worklist.total(),
                          records=returned(items, "person_id"))
    return found


commands = CommandRoutes(router, Service, PersonAccepted)
commands.post("/{person_id}/residence", MoveIn, "move_in", Allowed("person.residence", *CHANGE_ROLES),
              summary="Move in 登记居住地 (人房关联: the previous residence ends that day)")
commands.post("/{person_id}/move-out", MoveOut, "move_out", Allowed("person.residence", *CHANGE_ROLES),
              summary="Move out 迁出 (the residence ends)")
commands.post("/{person_id}/residence-details", ChangeResidenceDetails, "change_residence_details",
              Allowed("person.residence_details", *CHANGE_ROLES),
              summary="Change the open residence's details 居住事由/居住类型/房主或寄住户主变更 (same address)")


@router.get("/{person_id}/residences", summary="Residences 居住地历史 (current and past, newest first, with current "
                                               "address names; paged)")
async def list_residences(person_id: str, reads: Reads, caller: Allowed("person.read", *READ_ROLES),
                          min_version: MinVersion = 0, cursor: CursorParam = None, limit: Limit = PAGE_DEFAULT) -> dict:
    await caught_up(reads, REGISTRY, person_stream(person_id), min_version, "person", person_id, caller=caller)
    document, redirected_from = await person_by_id(reads, person_id)
    await shown_one(caller, document, "person", person_id)
    page = await Worklist.of(in_order(await residences(reads, document))).page(cursor, limit)
    return {"person_id": document["_id"], "redirected_from": redirected_from, "count": page["total"], **page}


commands.post("/{person_id}/category", ChangeCategory, "change_category",
              Allowed("person.change_category", "police", "supervisor"), summary="Change category 业务类型变更")
commands.post("/{person_id}/corrections", CorrectPerson, "correct", Allowed("person.correct", *CHANGE_ROLES),
              summary="Correct base fields 更正 (reason code and remark; old values kept)")
commands.post("/{person_id}/renewal", RenewMigrantRegistration, "renew", Allowed("person.renew", *CHANGE_ROLES),
              summary="Renew a migrant registration 暂住登记续期")
commands.post("/{person_id}/residence-permit", IssueResidencePermit, "issue_residence_permit",
              Allowed("person.residence_permit", *CHANGE_ROLES),
              summary="Issue or renew a residence permit 居住证签发/换领 (migrants; the permit's deadline flags follow)")
commands.post("/{person_id}/stay", ChangeStay, "change_stay", Allowed("person.stay", *CHANGE_ROLES),
              summary="Change a foreigner's permitted stay 签证/停留期限变更 (the overstay flag follows)")
commands.post("/{person_id}/accommodation", ChangeAccommodation, "change_accommodation",
              Allowed("person.accommodation", *CHANGE_ROLES),
              summary="A foreigner moves to another accommodation 境外人员住宿变更 (the residence, 查人知住 and the "
                      "24-hour registration flag follow)")
commands.post("/{person_id}/settle", SettleMigrant, "settle", Allowed("person.settle", "police", "supervisor"),
              summary="A migrant settles 流动人口落户 (流动 → 常住; the category history keeps the step)")
commands.post("/{person_id}/register-household", RegisterHousehold, "register_household",
              Allowed("person.register_household", "police", "supervisor"),
              summary="An unregistered person is entered in a household 未落户人员落户 (未落户 → 常住; the category "
                      "history keeps the step)")
commands.post("/{person_id}/cancel", CancelPerson, "cancel", Allowed("person.cancel", "police", "supervisor"),
              summary="Cancel 注销 (death, missing, moved away ...)")
commands.post("/{person_id}/merge", MergePerson, "merge", Allowed("person.merge", "police", "supervisor"),
              summary="Merge a duplicate into its survivor 重复人员合并 (same document number)")
