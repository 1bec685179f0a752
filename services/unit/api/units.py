"""Routes for units (实有单位): register, read, look up (USCC, address, name), status, licences."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status

from services.kernel.web.authz import READERS, Allowed
from services.kernel.web.commands import CommandRoutes
from services.kernel.web.exports import FILE_RESPONSES, Format, answer
from services.kernel.web.paging import PAGE_DEFAULT, CursorParam, Limit
from services.kernel.web.reads import MinVersion, caught_up, shown_one
from contracts.calendar import china_today
from services.unit.application import UnitAccepted
from services.unit.commands import (
    AddLicence, ChangeLegalRepresentative, ChangeStatus, CorrectUnit, RecordUscc, RegisterUnit, Relocate, RenameUnit,
)
from services.unit.domain.unit import unit_stream
from services.unit.projections import registry
from services.unit.views import units as views
from services.unit.bootstrap import Cycles, Reads, Service

router = APIRouter(prefix="/v1/units", tags=["units 实有单位"])
AsOf = Annotated[date | None, Query(description="the day overdue flags are judged on (default: today, Beijing time)")]
WRITERS = ("collector", "police")


commands = CommandRoutes(router, Service, UnitAccepted)
commands.post("", RegisterUnit, "register", Allowed("unit.register", *WRITERS), status_code=status.HTTP_201_CREATED,
              summary="Register a unit at a standard address 登记实有单位",
              responses={409: {"description": "the USCC is already registered (the unit is named in the answer)"},
                         422: {"description": "USCC, industry, address or another field breaks a rule"}},
              name="register_unit")


@router.get("", summary="Look up units by USCC, address or name 按统一社会信用代码、地址或名称查询单位 (paged, or the whole "
                         "list as csv/xlsx)", responses=FILE_RESPONSES)
async def list_units(
    reads: Reads, cyc: Cycles, caller: Allowed("unit.read", *READERS),
    uscc: Annotated[str | None, Query(max_length=40, description="统一社会信用代码")] = None,
    address_code: Annotated[str | None, Query(max_length=40, description="标准地址编码 (merged: its survivor's)")] = None,
    name: Annotated[str | None, Query(min_length=1, max_length=100, description="名称、别名或曾用名 (exact)")] = None,
    without_uscc: Annotated[bool, Query(description="only units registered without a USCC (无照/未登记, flagged)")] = False,
    as_of: AsOf = None, cursor: CursorParam = None, limit: Limit = PAGE_DEFAULT, format: Format = "json",
) -> dict:
    query = await views.lookup_query(reads, caller.scope_query("division_code"), uscc=(uscc or "").strip() or None,
                                     address_code=(address_code or "").strip() or None,
                                     name=(name or "").strip() or None, without_uscc=without_uscc)
    day = as_of or china_today()
    worklist = views.unit_list(reads, query, lambda documents: views.present_many(reads, documents, cyc, day))
    # every list, 查询留痕 (units name no persons of their own: the entry says what was asked and how many came back)
    return await answer(worklist, format, cursor, limit, caller, "units", logged_as="unit", named=lambda items: [])


@router.get("/{unit_id}", summary="Read a unit with its trades, employees and inspections 查询单位")
async def get_unit(unit_id: str, reads: Reads, cyc: Cycles, caller: Allowed("unit.read", *READERS),
                   min_version: MinVersion = 0, as_of: AsOf = None) -> dict:
    await caught_up(reads, registry.name, unit_stream(unit_id), min_version, "unit", unit_id, caller=caller)
    document = await shown_one(caller, await views.unit_document(reads, unit_id), "unit", unit_id)
    return (await views.present_many(reads, [document], cyc, as_of or china_today()))[0]


commands.post("/{unit_id}/corrections", CorrectUnit, "correct", Allowed("unit.change", *WRITERS),
              summary="Correct the unit's facts 补录纠错", name="correct_unit")
commands.post("/{unit_id}/uscc", RecordUscc, "record_uscc", Allowed("unit.change", *WRITERS),
              summary="Record or correct the USCC 登记/更正统一社会信用代码",
              responses={409: {"description": "another unit holds this USCC (named in the answer)"}})
commands.post("/{unit_id}/suspend", ChangeStatus, "suspend", Allowed("unit.status", *WRITERS),
              summary="Suspend trading 停业")
commands.post("/{unit_id}/close", ChangeStatus, "close", Allowed("unit.status", *WRITERS),
              summary="Close the unit 关闭/注销")
commands.post("/{unit_id}/reopen", ChangeStatus, "reopen", Allowed("unit.status", *WRITERS), summary="Reopen 复业")
commands.post("/{unit_id}/licences", AddLicence, "add_licence", Allowed("unit.change", *WRITERS),
              summary="Add or renew a licence 登记证照")
commands.post("/{unit_id}/relocate", Relocate, "relocate", Allowed("unit.relocate", "police", "supervisor"),
              summary="Relocate the unit to another standard address 单位迁址 (its division follows the address)",
              responses={422: {"description": "unknown or retired address_code, or a field breaking a rule"}})
commands.post("/{unit_id}/rename", RenameUnit, "rename", Allowed("unit.rename", *WRITERS),
              summary="Rename the unit 名称变更 (the old name is kept as a former name, 曾用名)", name="rename_unit")
commands.post("/{unit_id}/legal-representative", ChangeLegalRepresentative, "change_legal_representative",
              Allowed("unit.legal_representative", *WRITERS),
              summary="Change the legal representative 法定代表人变更 (the former one is kept with the day it ended)",
              responses={422: {"description": "an unknown or cancelled person, or a field breaking a rule"}})
