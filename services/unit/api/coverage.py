"""Address coverage of units (your jurisdiction): units not at a valid standard address, per division."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.kernel.web.authz import Allowed
from services.replicas.coverage import coverage_answer
from services.kernel.web.exports import FILE_RESPONSES, Format
from services.kernel.web.paging import PAGE_DEFAULT, CursorParam, Limit
from services.unit.projections import UNITS, addresses, registry
from services.unit.bootstrap import Reads

router = APIRouter(prefix="/v1/units", tags=["quality 数据质量"])


def _record(document: dict) -> dict[str, Any]:
    return {"unit_id": document["_id"], "division_code": document.get("division_code"),
            "address_code": document.get("address_code")}


@router.get("/address-coverage", summary="Address coverage 单位地址覆盖 (units not at a valid standard address; paged, "
                                         "or the whole list as csv/xlsx)", responses=FILE_RESPONSES)
async def coverage(reads: Reads, caller: Allowed("unit.quality", "police", "supervisor"), cursor: CursorParam = None,
                   limit: Limit = PAGE_DEFAULT, format: Format = "json") -> dict:
    return await coverage_answer(reads.read_model(registry.name, UNITS), caller.scope_query("division_code"),
                                 {"division_code": 1, "address_code": 1}, _record,
                                 reads.read_model(addresses.name, addresses.name), format, cursor, limit, caller,
                                 "unit-address-coverage")
