"""逻辑错误 and address coverage of persons (your jurisdiction): fixed paths, registered before /{person_id}."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from contracts.calendar import CHINA
from services.kernel.web.authz import Allowed
from services.kernel.web.exports import FILE_RESPONSES, Format, export
from services.kernel.web.masked_responses import viewer_for
from services.kernel.web.paging import PAGE_DEFAULT, CursorParam, Limit
from services.kernel.web.reads import After, caught_up_after
from services.person.bootstrap import Reads
from services.person.views import logic_errors as views
from services.person.views.whereabouts import locator
from services.person.whereabouts import WHEREABOUTS

router = APIRouter(prefix="/v1/persons", tags=["quality 数据质量"])
ROLES = ("police", "supervisor")
Rule = Literal["person.identity_mismatch", "unit.employee_cancelled", "person.migrant_expired",
               "person.resident_at_retired_address"]


@router.get("/logic-errors", summary="Logic errors 人员逻辑错误 (ID number vs sex/birth date, cancelled but employed, "
                                     "expired migrant registration, resident at a retired address; per division; "
                                     "paged, or the whole list as csv/xlsx)", responses=FILE_RESPONSES)
async def logic_errors(reads: Reads, caller: Allowed("person.quality", *ROLES),
                       rule: Annotated[list[Rule], Query(description="rules to list (default: all)")] = [],  # noqa: B006
                       as_of: Annotated[date | None, Query(description="the day expiry is judged on (default: today)",
                                                           examples=["2026-11-27"])] = None,
                       cursor: CursorParam = None, limit: Limit = PAGE_DEFAULT, format: Format = "json",
                       after: After = []) -> dict:  # noqa: B006
    await caught_up_after(reads, WHEREABOUTS, after, caller=caller, locate=locator(reads))
    today = as_of or datetime.now(CHINA).date()
    scope, rules = caller.scope_query("person.division_code"), tuple(rule) or views.RULES
    if format != "json":
        return await export(await views.logic_error_list(reads, scope, rules, today), format, viewer_for(caller),
                            "person-logic-errors")
    return await views.logic_errors(reads, scope, rules, today, cursor, limit)


@router.get("/address-coverage", summary="Address coverage 人员地址覆盖 (current residences not at a valid standard "
                                         "address, per division; paged, or the whole list as csv/xlsx)",
            responses=FILE_RESPONSES)
async def address_coverage(reads: Reads, caller: Allowed("person.quality", *ROLES), cursor: CursorParam = None,
                           limit: Limit = PAGE_DEFAULT, format: Format = "json") -> dict:
    return await views.coverage(reads, caller.scope_query("person.division_code"), format, cursor, limit, caller)
