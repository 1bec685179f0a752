"""The monthly report (每月通报) for a month and a division: JSON, an xlsx workbook, or a printable HTML page.

A closed month answers its published (frozen) report; the running month is computed (report.monthly)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response

from services.audit.api.deps import Archive, AuditReader, now, require_started
from services.audit.bootstrap import LiveFigures, Reports
from services.audit.report import frozen, html, xlsx
from services.audit.report.monthly import monthly_report
from services.audit.views.baselines import targets_in_force
from services.audit.views.quality import quality_figures

router = APIRouter(prefix="/v1/audit/reports", tags=["reports 每月通报"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXAMPLE = {"month": "2026-10", "division_code": "532503", "name": "蒙自市", "as_of": "2026-10-31T15:59:59.999999+00:00",
           "as_of_text": "截至 2026年10月31日 23:59（北京时间）", "previous_text": "环比：2026年9月",
           "frozen_at": "2026-11-01T02:00:00+00:00", "entities": {}, "corrections": [], "targets": {"accuracy": 0.95}}


@router.get("/monthly/{month}", summary="每月通报: the month's metrics per sub-division, ranked against the targets, "
            "with the change from last month as published and corrections to it; a closed month is frozen "
            "(format=json|xlsx|html)",
            responses={200: {"content": {"application/json": {"example": EXAMPLE}, XLSX: {}, "text/html": {}}}})
async def monthly(
    caller: AuditReader, archive: Archive, figures: LiveFigures, published: Reports,
    month: Annotated[str, Path(pattern=r"^(199\d|20\d\d)-(0[1-9]|1[0-2])$", description="YYYY-MM (1990-2099)",
                               examples=["2026-10"])],
    division_code: Annotated[str | None, Query(pattern=r"^\d{2,24}$", examples=["532503"])] = None,
    format: Annotated[str, Query(pattern="^(json|xlsx|html)$", description="json, xlsx or html")] = "json",
) -> Response:
    scope = division_code or caller.scope.prefix
    if scope:
        caller.require_within(scope)
    moment = now()
    require_started(month, moment, "path", "report.future_month")

    async def quality(division: str | None, as_of: datetime) -> dict:  # the incremental figures, as GET /quality
        return await quality_figures(figures, archive, division, as_of)

    async def targets(as_of: datetime) -> dict:  # the configured targets in force then, with their version
        return await targets_in_force(archive, as_of, scope or "")

    report = await monthly_report(quality, published, month, scope, moment, targets)
    name = re.sub(r"[^\w.-]", "_", f"report-{month}-{scope or 'all'}")
    if format == "xlsx":
        return Response(xlsx.workbook(report), media_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    if format == "html":
        return HTMLResponse(html.page(report))
    return JSONResponse(report)
