"""Routes for rentals (出租房屋), tenants, daily checks (日常检查) and the supervisor's lists."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status

from contracts.calendar import china_today
from services.house.application import HouseAccepted
from services.house.commands import (
    AddTenant, ChangeRentalTerms, EndRental, RecordCheck, ReplaceLessor, ReplaceSecurityPerson, StartRental,
    TenantMoveOut,
)
from services.house.views import houses as views
from services.kernel.web.authz import Allowed
from services.kernel.web.commands import CommandRoutes
from services.kernel.web.exports import FILE_RESPONSES, Format, answer
from services.kernel.web.paging import PAGE_DEFAULT, CursorParam, Limit
from services.house.bootstrap import Reads, Rule, Service

router = APIRouter(prefix="/v1/houses", tags=["rentals 出租房屋"])
AsOf = Annotated[date | None, Query(description="the day the list is taken on (default: today, Beijing time)")]
SUPERVISING = ("police", "supervisor")


@router.get("/unchecked-rentals", summary="Rentals not checked this month 本月未检查的出租房屋 (paged, or the whole list "
                                          "as csv/xlsx)", responses=FILE_RESPONSES)
async def unchecked_rentals(reads: Reads, caller: Allowed("house.supervise", *SUPERVISING), as_of: AsOf = None,
                            cursor: CursorParam = None, limit: Limit = PAGE_DEFAULT, format: Format = "json") -> dict:
    day = as_of or china_today()
    found = await answer(views.unchecked_this_month(reads, day, caller.scope_query("division_code")), format, cursor,
                         limit, caller, f"unchecked-rentals-{day:%Y-%m}")
    return {"as_of": day.isoformat(), "month": day.strftime("%Y-%m"), **found} if isinstance(found, dict) else found


@router.get("/group-rentals", summary="Group rentals under the configured rule 群租房屋 (paged, or the whole list as "
                                      "csv/xlsx)", responses=FILE_RESPONSES)
async def group_rentals(reads: Reads, rule: Rule, caller: Allowed("house.supervise", *SUPERVISING),
                        cursor: CursorParam = None, limit: Limit = PAGE_DEFAULT, format: Format = "json") -> dict:
    found = await answer(views.group_rentals(reads, rule, caller.scope_query("division_code")), format, cursor, limit,
                         caller, "group-rentals")
    if not isinstance(found, dict):
        return found
    return {"rule": {"max_tenants_per_room": rule.max_tenants_per_room,
                     "min_area_per_tenant": rule.min_area_per_tenant}, **found}


commands = CommandRoutes(router, Service, HouseAccepted)
commands.post("/{house_id}/rentals", StartRental, "start_rental", Allowed("house.rental", "collector", "police"),
              status_code=status.HTTP_201_CREATED,
              summary="Register a rental 出租房屋登记 (a house whose use is not rented: logic error reported)")
commands.post("/{house_id}/rentals/{rental_id}/tenants", AddTenant, "add_tenant",
              Allowed("house.rental", "collector", "police"), status_code=status.HTTP_201_CREATED,
              summary="A tenant moves in 承租人入住")
commands.post("/{house_id}/rentals/{rental_id}/tenants/{person_id}/move-out", TenantMoveOut, "tenant_moves_out",
              Allowed("house.rental", "collector", "police"), summary="A tenant moves out 承租人搬离")
commands.post("/{house_id}/rentals/{rental_id}/end", EndRental, "end_rental",
              Allowed("house.rental", "collector", "police"), summary="End a rental 租赁终止")
commands.post("/{house_id}/rentals/{rental_id}/terms", ChangeRentalTerms, "change_rental_terms",
              Allowed("house.rental_terms", "collector", "police"),
              summary="Change a rental's terms 租赁条款变更 (租期延长/缩短, 租金, 出租间数/面积)",
              responses={409: {"description": "the rental ended (rental.ended) or the house is demolished"}})
commands.post("/{house_id}/rentals/{rental_id}/lessor", ReplaceLessor, "replace_lessor",
              Allowed("house.rental_parties", "collector", "police"), summary="Replace the lessor 出租人变更")
commands.post("/{house_id}/rentals/{rental_id}/security-person", ReplaceSecurityPerson, "replace_security_person",
              Allowed("house.rental_parties", "collector", "police"), summary="Replace the security person 治安责任人变更")
commands.post("/{house_id}/checks", RecordCheck, "record_check", Allowed("house.check", "collector", "police"),
              status_code=status.HTTP_201_CREATED, summary="Record a daily check 日常检查")
