"""以业管人 route: a unit's current and past employees with where they live (GET /v1/units/{unit_id}/employees).

Read your own write: ``min_version`` waits for the unit's stream in the unit registry; ``after`` (repeatable,
``person-<id>:<version>``) waits until the person replica has applied a person's stream.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from services.kernel.web.authz import Allowed
from services.kernel.web.deps import runtime
from services.kernel.web.access_trace import returned
from services.kernel.web.reads import After, MinVersion, caught_up, caught_up_after
from services.replicas.person import person_locator
from services.kernel.messaging.runtime import Runtime
from services.unit.domain.unit import unit_stream
from services.unit.persons import UNIT_PERSONS
from services.unit.projections import registry
from services.unit.views.employees import with_residences
from services.unit.views.units import unit_document

router = APIRouter(prefix="/v1/units", tags=["employees 从业人员"])
Rt = Annotated[Runtime, Depends(runtime)]


@router.get("/{unit_id}/employees", summary="以业管人 A unit's employees 单位从业人员 (current and past, with residences)")
async def employees(unit_id: str, rt: Rt, caller: Allowed("unit.employees_read", "collector", "police", "supervisor"), min_version: MinVersion = 0,
                    after: After = []) -> dict:  # noqa: B006 - FastAPI copies defaults
    await caught_up(rt, registry.name, unit_stream(unit_id), min_version, "unit", unit_id, caller=caller)
    await caught_up_after(rt, UNIT_PERSONS, after, caller=caller, locate=person_locator(rt, UNIT_PERSONS))
    unit = await unit_document(rt, unit_id)
    caller.require_within(unit["division_code"], "unit")
    shaped = await with_residences(rt, unit)
    await caller.accessed("unit_employees", unit_id, unit["division_code"],  # its persons too (from elsewhere?)
                          result_count=len(shaped["current"]) + len(shaped["past"]),
                          records=returned([*shaped["current"], *shaped["past"]], "person_id"))
    return {"unit_id": unit_id, "name": unit.get("name"), "division_code": unit["division_code"],
            "special_trades": sorted(t["trade"] for t in unit.get("special_trades", [])), **shaped,
            "count_current": len(shaped["current"])}
