"""逻辑错误 and address coverage of houses (your jurisdiction): fixed paths, registered before /{house_id}."""

from __future__ import annotations

from fastapi import APIRouter

from services.house.views import quality as views
from services.kernel.web.authz import Allowed
from services.kernel.web.exports import FILE_RESPONSES, Format, export
from services.kernel.web.masked_responses import viewer_for
from services.kernel.web.paging import PAGE_DEFAULT, CursorParam, Limit
from services.kernel.web.reads import After, caught_up_after, registry_locator
from services.house.projections import HOUSES, registry
from services.house.bootstrap import Reads

router = APIRouter(prefix="/v1/houses", tags=["quality 数据质量"])
ROLES = ("police", "supervisor")


@router.get("/logic-errors", summary="Logic errors 房屋逻辑错误 (let or with tenants while its use says otherwise; "
                                     "per division; paged, or the whole list as csv/xlsx)", responses=FILE_RESPONSES)
async def logic_errors(reads: Reads, caller: Allowed("house.quality", *ROLES), cursor: CursorParam = None,
                       limit: Limit = PAGE_DEFAULT, format: Format = "json",
                       after: After = []) -> dict:  # noqa: B006
    await caught_up_after(reads, registry.name, after, caller=caller,
                          locate=registry_locator(reads, registry.name, HOUSES, "house"))
    scope = caller.scope_query("division_code")
    if format != "json":
        return await export(views.logic_error_list(reads, scope), format, viewer_for(caller), "house-logic-errors")
    return await views.house_logic_errors(reads, scope, cursor, limit)


@router.get("/address-coverage", summary="Address coverage 房屋地址覆盖 (houses not at a valid standard address; "
                                         "paged, or the whole list as csv/xlsx)", responses=FILE_RESPONSES)
async def address_coverage(reads: Reads, caller: Allowed("house.quality", *ROLES), cursor: CursorParam = None,
                           limit: Limit = PAGE_DEFAULT, format: Format = "json") -> dict:
    return await views.coverage(reads, caller.scope_query("division_code"), format, cursor, limit, caller)
