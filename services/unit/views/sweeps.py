"""The unit service's sweep (单位不漏人): open units with no current employee (从业人员), per jurisdiction.

Read from the unit registry, fed by the unit's events (EmployeeHired / EmployeeLeft fold into ``employees``),
so a unit drops off the list as soon as a hire reaches the registry. ``next_step`` says what to do next.
"""

from __future__ import annotations

from typing import Any

from services.kernel.messaging.read_models import ReadModels
from services.kernel.web.paging import Segment, Worklist, one_each
from services.unit.views.units import units


def _item(document: dict) -> dict[str, Any]:
    return {"unit_id": document["_id"], "name": document.get("name"), "unit_type": document.get("unit_type"),
            "industry_code": document.get("industry_code"), "address_code": document.get("address_code"),
            "address_name": document.get("address_name"), "division_code": document.get("division_code"),
            "next_step": "登记从业人员"}


def units_without_employees(reads: ReadModels, scope: dict) -> Worklist:
    """单位无从业人员: open units (在营) none of whose employees is still employed."""
    query = {"status": "open", "employees": {"$not": {"$elemMatch": {"left": None}}}, **scope}
    return Worklist.of(Segment(units(reads), query, one_each(_item)))
