"""Routes for special trades (特种行业), inspections with rectification notices, and the officer's lists."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status

from contracts import industry, special_trades
from services.kernel.web.authz import READERS, Allowed
from services.kernel.web.commands import CommandRoutes
from services.kernel.web.exports import FILE_RESPONSES, Format, answer
from services.kernel.web.paging import PAGE_DEFAULT, CursorParam, Limit
from contracts.calendar import china_today
from services.unit.application import UnitAccepted
from services.unit.commands import AddSpecialTrade, FollowUp, Inspect, RemoveSpecialTrade
from services.unit.views import units as views
from services.unit.bootstrap import Cycles, Reads, Service

router = APIRouter(tags=["special trades and inspections 特种行业与检查"])
AsOf = Annotated[date | None, Query(description="the day the list is taken on (default: today, Beijing time)")]
SUPERVISING = ("police", "supervisor")


@router.get("/v1/special-trades", summary="Special and key trades with their inspection cycles 特种/重点行业代码表")
async def trade_table(cyc: Cycles, caller: Allowed("unit.codes", *READERS)) -> dict:
    return {"items": [{**trade.__dict__, "inspection_cycle_days": cyc[code]}
                      for code, trade in special_trades.trades().items()]}


@router.get("/v1/industries", summary="GB/T 4754-2017 sections and divisions 国民经济行业分类门类与大类")
async def industry_table(caller: Allowed("unit.codes", *READERS)) -> dict:
    sections, divisions = industry.table()
    return {"sections": [{"code": code, "name": name,
                          "divisions": [{"code": f"{code}{d}", "name": n} for d, (s, n) in divisions.items() if s == code]}
                         for code, name in sections.items()]}


@router.get("/v1/units/inspections-due", summary="Special-trade units overdue for inspection 超期未检查的特种行业单位 "
                                                 "(paged, or the whole list as csv/xlsx)", responses=FILE_RESPONSES)
async def inspections_due(reads: Reads, cyc: Cycles, caller: Allowed("unit.supervise", *SUPERVISING), as_of: AsOf = None,
                          trade: Annotated[str | None, Query(max_length=40, description="one trade only")] = None,
                          cursor: CursorParam = None, limit: Limit = PAGE_DEFAULT, format: Format = "json") -> dict:
    day = as_of or china_today()
    found = await answer(views.due_for_inspection(reads, cyc, day, caller.scope_query("division_code"), trade), format,
                         cursor, limit, caller, "inspections-due")
    return {"as_of": day.isoformat(), **found} if isinstance(found, dict) else found


@router.get("/v1/units/rectifications-overdue", summary="Overdue rectifications 整改逾期 (paged, or the whole list as "
                                                        "csv/xlsx)", responses=FILE_RESPONSES)
async def rectifications_overdue(reads: Reads, caller: Allowed("unit.supervise", *SUPERVISING), as_of: AsOf = None,
                                 cursor: CursorParam = None, limit: Limit = PAGE_DEFAULT,
                                 format: Format = "json") -> dict:
    day = as_of or china_today()
    found = await answer(views.rectifications_overdue(reads, day, caller.scope_query("division_code")), format, cursor,
                         limit, caller, "rectifications-overdue")
    return {"as_of": day.isoformat(), **found} if isinstance(found, dict) else found


commands = CommandRoutes(router, Service, UnitAccepted)
commands.post("/v1/units/{unit_id}/special-trades", AddSpecialTrade, "add_special_trade",
              Allowed("unit.special_trade", "police"), summary="The unit takes up a special trade 登记特种/重点行业")
commands.post("/v1/units/{unit_id}/special-trades/{trade}/remove", RemoveSpecialTrade, "remove_special_trade",
              Allowed("unit.special_trade", "police"), summary="The unit gives up a special trade 取消特种/重点行业")
commands.post("/v1/units/{unit_id}/inspections", Inspect, "inspect", Allowed("unit.inspect", "police"),
              status_code=status.HTTP_201_CREATED,
              summary="Record an inspection 单位检查 (with a rectification notice and deadline)")
commands.post("/v1/units/{unit_id}/inspections/{inspection_id}/follow-ups", FollowUp, "follow_up",
              Allowed("unit.inspect", "police"), summary="Follow up a rectification 整改复查")
