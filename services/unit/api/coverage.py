"""Address coverage of units (your jurisdiction): units not at a valid standard address, per division."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from services.kernel.web.authz import Allowed
from services.replicas.coverage import coverage_answer
from services.kernel.web.deps import runtime
from services.kernel.web.exports import FILE_RESPONSES, Format
from services.kernel.web.paging import PAGE_DEFAULT, CursorParam, Limit
from services.kernel.messaging.runtime import Runtime
from services.unit.projections import UNITS, addresses, registry

router = APIRouter(prefix="/v1/units", tags=["quality 数据质量"])
Rt = Annotated[Runtime, Depends(runtime)]


def _record(document: dict) -> dict[str, Any]:
    return {"unit_id": document["_id"], "division_code": document.get("division_code"),
            "address_code": document.get("address_code")}


@router.get("/address-coverage", summary="Address coverage 单位地址覆盖 (units not at a valid standard address; paged, "
                                         "or the whole list as csv/xlsx)", responses=FILE_RESPONSES)
async def coverage(rt: Rt, caller: Allowed("unit.quality", "police", "supervisor"), cursor: CursorParam = None,
                   limit: Limit = PAGE_DEFAULT, format: Format = "json") -> dict:
    return await coverage_answer(rt.read_model(registry.name, UNITS), caller.scope_query("division_code"),
                                 {"division_code": 1, "address_code": 1}, _record,
                                 rt.read_model(addresses.name, addresses.name), format, cursor, limit, caller,
                                 "unit-address-coverage")
