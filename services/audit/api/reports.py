"""The monthly report (每月通报) for a month and a division: JSON, an xlsx workbook, or a printable HTML page."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response

from services.audit.api.deps import Archive, AuditReader, ParameterRuleViolation, now
from services.audit.config import audit_settings
from services.audit.report import html, xlsx
from services.audit.report.model import build, month_bounds
from services.audit.views.quality import quality

router = APIRouter(prefix="/v1/audit/reports", tags=["reports 每月通报"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/monthly/{month}", summary="每月通报: the month's metrics per sub-division, ranked, with the change from "
            "last month and the targets (format=json|xlsx|html)",
            responses={200: {"content": {"application/json": {"example": {"month": "2026-10", "entities": {}}},
                                         XLSX: {}, "text/html": {}}}})
async def monthly(
    caller: AuditReader, archive: Archive,
    month: Annotated[str, Path(pattern=r"^(199\d|20\d\d)-(0[1-9]|1[0-2])$", description="YYYY-MM (1990-2099)",
                               examples=["2026-10"])],
    division_code: Annotated[str | None, Query(pattern=r"^\d{2,24}$", examples=["532503"])] = None,
    format: Annotated[str, Query(pattern="^(json|xlsx|html)$", description="json, xlsx or html")] = "json",
) -> Response:
    scope = division_code or caller.scope.prefix
    if scope:
        caller.require_within(scope)
    end, previous_end = month_bounds(month, audit_settings().utc_offset_hours)
    if previous_end >= now():
        raise ParameterRuleViolation("path", "month", "report.future_month", f"{month} has not started yet",
                                     f"{month} 尚未开始")
    report = build(month, scope, await quality(archive, scope, min(end, now())),
                   await quality(archive, scope, previous_end))
    name = re.sub(r"[^\w.-]", "_", f"report-{month}-{scope or 'all'}")
    if format == "xlsx":
        return Response(xlsx.workbook(report), media_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    if format == "html":
        return HTMLResponse(html.page(report))
    return JSONResponse(report)
