"""Address coverage of units (your jurisdiction): units not at a valid standard address, per division."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.kernel.authz import Allowed
from services.kernel.coverage import address_coverage
from services.kernel.deps import runtime
from services.kernel.runtime import Runtime
from services.unit.projections import UNITS, addresses, registry

router = APIRouter(prefix="/v1/units", tags=["quality 数据质量"])
Rt = Annotated[Runtime, Depends(runtime)]


@router.get("/address-coverage", summary="Address coverage 单位地址覆盖 (units not at a valid standard address)")
async def coverage(rt: Rt, caller: Allowed("unit.quality", "police", "supervisor"),
                   limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict:
    async def records():
        async for document in rt.read_model(registry.name, UNITS).find(caller.scope_query("division_code"),
                                                                        {"division_code": 1, "address_code": 1}):
            yield {"unit_id": document["_id"], "division_code": document.get("division_code"),
                   "address_code": document.get("address_code")}

    return await address_coverage(records(), rt.read_model(addresses.name, addresses.name), limit)
