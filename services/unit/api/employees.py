"""以业管人 route: a unit's current and past employees with where they live (GET /v1/units/{unit_id}/employees).

Read your own write: ``min_version`` waits for the unit's stream in the unit registry; ``after`` (repeatable,
``person-<id>:<version>``) waits until the person replica has applied a person's stream. A worklist like every
list (``cursor``/``limit``, ``format=csv|xlsx``): a unit's employees are never cut off.
"""

from __future__ import annotations

from fastapi import APIRouter

from services.kernel.web.authz import Allowed
from services.kernel.web.access_trace import returned
from services.kernel.web.exports import FILE_RESPONSES, Format, answer
from services.kernel.web.paging import PAGE_DEFAULT, CursorParam, Limit
from services.kernel.web.reads import After, MinVersion, caught_up, caught_up_after
from services.replicas.person import person_locator
from services.unit.domain.unit import unit_stream
from services.unit.persons import UNIT_PERSONS
from services.unit.projections import registry
from services.unit.views.employees import employee_list
from services.unit.views.units import unit_document
from services.unit.bootstrap import Reads

router = APIRouter(prefix="/v1/units", tags=["employees 从业人员"])


@router.get("/{unit_id}/employees", summary="以业管人 A unit's employees 单位从业人员 (current, then past, with residences; "
            "paged, or the whole list as csv/xlsx)", responses=FILE_RESPONSES)
async def employees(unit_id: str, reads: Reads, caller: Allowed("unit.employees_read", "collector", "police", "supervisor"), min_version: MinVersion = 0,
                    after: After = [],  # noqa: B006 - FastAPI copies defaults
                    cursor: CursorParam = None, limit: Limit = PAGE_DEFAULT, format: Format = "json") -> dict:
    """``items`` is the page (current employees first, then past ones); ``current`` and ``past`` split the same
    page as before paging; ``count_current`` counts every current employee, ``total`` every employment."""
    await caught_up(reads, registry.name, unit_stream(unit_id), min_version, "unit", unit_id, caller=caller)
    await caught_up_after(reads, UNIT_PERSONS, after, caller=caller, locate=person_locator(reads, UNIT_PERSONS))
    unit = await unit_document(reads, unit_id)
    caller.require_within(unit["division_code"], "unit")
    worklist = employee_list(reads, unit)
    found = await answer(worklist, format, cursor, limit, caller, "employees")
    if not isinstance(found, dict):  # the whole list as a file
        await caller.accessed("unit_employees", unit_id, unit["division_code"], result_count=await worklist.total(),
                              records=[])
        return found
    await caller.accessed("unit_employees", unit_id, unit["division_code"],  # its persons too (from elsewhere?)
                          result_count=len(found["items"]), records=returned(found["items"], "person_id"))
    return {"unit_id": unit_id, "name": unit.get("name"), "division_code": unit["division_code"],
            "special_trades": sorted(t["trade"] for t in unit.get("special_trades", [])),
            "current": [entry for entry in found["items"] if not entry.get("left")],
            "past": [entry for entry in found["items"] if entry.get("left")],
            "count_current": sum(1 for e in unit.get("employees", []) if not e.get("left")), **found}
