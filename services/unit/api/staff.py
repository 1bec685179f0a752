"""Routes for employees (从业人员) and a person's employers (以业管人)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from services.kernel.web.authz import READERS, Allowed
from services.kernel.web.commands import CommandRoutes
from services.kernel.web.exports import FILE_RESPONSES, Format, answer
from services.kernel.web.paging import PAGE_DEFAULT, CursorParam, Limit
from services.unit.application import UnitAccepted
from services.unit.commands import Hire, Leave
from services.unit.views import units as views
from services.unit.bootstrap import Reads, Service

router = APIRouter(prefix="/v1/units", tags=["employees 从业人员"])


@router.get("/employers", summary="A person's employers 人员的从业单位 (以业管人; paged, or the whole list as csv/xlsx)",
            responses=FILE_RESPONSES)
async def employers(reads: Reads, caller: Allowed("unit.read", *READERS),
                    person_id: Annotated[str, Query(min_length=1, max_length=64, description="实有人口 person id")],
                    current_only: Annotated[bool, Query(description="only where the person works now")] = True,
                    cursor: CursorParam = None, limit: Limit = PAGE_DEFAULT, format: Format = "json") -> dict:
    worklist = views.employers_of(reads, person_id.strip(), caller.scope_query("division_code"), current_only)
    found = await answer(worklist, format, cursor, limit, caller, "employers")
    count = len(found["items"]) if isinstance(found, dict) else await worklist.total()
    await caller.accessed("employment", person_id, lookup={"person_id": person_id}, result_count=count)
    return {"person_id": person_id, **found} if isinstance(found, dict) else found


commands = CommandRoutes(router, Service, UnitAccepted)
commands.post("/{unit_id}/employees", Hire, "hire", Allowed("unit.employees", "collector", "police"),
              status_code=status.HTTP_201_CREATED, summary="Hire an employee 从业人员入职")
commands.post("/{unit_id}/employees/{person_id}/leave", Leave, "leave",
              Allowed("unit.employees", "collector", "police"), summary="An employee leaves 从业人员离职")
