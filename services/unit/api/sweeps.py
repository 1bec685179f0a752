"""Sweep worklist of the unit service: open units with no employee (单位无从业人员), the collector's list."""

from __future__ import annotations

from fastapi import APIRouter

from services.kernel.web.jurisdiction import division_worklist
from services.unit.views import sweeps as views

router = APIRouter(prefix="/v1/sweeps", tags=["sweeps 清查"])

division_worklist(router, "/units-without-employees", "Open units with no current employee 单位无从业人员 (paged, or "
                  "the whole list as csv/xlsx)", "unit.sweep", ("collector", "police", "supervisor"),
                  views.units_without_employees)
