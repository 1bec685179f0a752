"""Routes of the 采集表: download a template, upload a filled one, download the error workbook of an import."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from services.ingest.api.batches import BatchAccepted, known_agency, own_agency
from services.ingest.config import agencies
from services.ingest.batches import BATCHES
from services.ingest.imports import MAX_IMPORT_ROWS, TooManyRows, error_workbook, import_sheet
from services.ingest.sheet_bounds import SheetBoundsError
from services.ingest.sheets import SheetError, template
from services.kernel.web.authz import READERS, Allowed
from services.kernel.web.body_limit import body_limit
from services.kernel.base.errors import DomainRuleViolation, NotFound
from services.kernel.base.masking import visibility
from services.ingest.bootstrap import Gate

router = APIRouter(prefix="/v1/ingest", tags=["spreadsheets 采集表"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EntityType = Literal["person", "house", "unit"]
MAX_UPLOAD_BYTES = 64 * 1024 * 1024


def xlsx(content: bytes, name: str) -> Response:
    return Response(content, media_type=XLSX, headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"})


@router.get("/templates/{entity_type}.xlsx", summary="Download a 采集表 template 下载采集表模板",
            response_class=Response, responses={200: {"content": {XLSX: {}}}})
async def get_template(entity_type: EntityType, caller: Allowed("ingest.template", *READERS),
                       agency: Annotated[str | None, Query(description="only the columns this agency may publish",
                                                           examples=["mz-civil-affairs"])] = None) -> Response:
    permitted = known_agency(agency).entity_types.get(entity_type, []) if agency else None
    return xlsx(template(entity_type, permitted), f"{entity_type}-template.xlsx")


@router.post("/{agency}/imports", status_code=202, response_model=BatchAccepted,
             summary="Import a filled 采集表 导入采集表 (xlsx body; rows answered in the batch status)",
             openapi_extra={"requestBody": {"required": True, "content": {XLSX: {"schema": {
                 "type": "string", "format": "binary", "description": "采集表 xlsx (the template's layout)"}}}}},
             responses={413: {"description": "over 64 MB (refused while it is read) or 100,000 rows (refused before "
                                        "the sheet is loaded)"},
                        422: {"description": "not a 采集表 of this entity type, or wider than one (the rule is named)"}})
@body_limit(MAX_UPLOAD_BYTES)
async def import_workbook(agency: str, request: Request, gate: Gate, caller: Allowed("ingest.submit", "agency"),
                          entity_type: Annotated[EntityType, Query(description="人员 person / 房屋 house / 单位 unit")],
                          file_name: Annotated[str, Query(max_length=200, description="原文件名")] = "upload.xlsx"):
    configured = known_agency(agency)
    own_agency(caller, agency)
    data = await request.body()  # over MAX_UPLOAD_BYTES is refused (413) while it streams in (body_limit)
    try:
        accepted = await import_sheet(gate, configured, entity_type, data, file_name, caller.actor.id)
    except SheetError as error:
        raise DomainRuleViolation("file", error.rule, error.message, error.message_zh) from None
    except SheetBoundsError as error:
        return JSONResponse(status_code=error.status, content={"detail": [{
            "loc": ["body"], "type": error.rule, "msg": error.message, "msg_zh": error.message_zh}]})
    except TooManyRows as error:
        return JSONResponse(status_code=413, content={"detail": [{"loc": ["body"], "type": "import.too_large",
                                                                  "msg": str(error),
                                                                  "msg_zh": f"每次最多导入 {MAX_IMPORT_ROWS} 行"}]})
    return accepted


@router.get("/batches/{batch_id}/errors.xlsx", summary="Download the error workbook 下载错误工作簿 (rejected rows, fix and re-import)",
            response_class=Response, responses={200: {"content": {XLSX: {}}}})
async def get_errors(batch_id: str, gate: Gate, caller: Allowed("ingest.batch.read", "agency", "supervisor")):
    db = gate.db
    batch = await db[BATCHES].find_one({"_id": batch_id})
    if batch is None:
        raise NotFound("batch", batch_id)
    own_agency(caller, batch["agency"])
    if caller.actor.role != "agency" and batch["agency"] in agencies():
        caller.require_within(agencies()[batch["agency"]].jurisdiction, "batch")
    if batch.get("source") != "xlsx":
        raise DomainRuleViolation("batch_id", "batch.not_a_sheet", "only a spreadsheet import has an error workbook",
                                  "只有采集表导入的批次有错误工作簿")
    configured = agencies().get(batch["agency"])
    permitted = configured.entity_types.get(batch["entity_type"]) if configured else None
    seen = visibility(caller.actor.role, True)
    return xlsx(await error_workbook(db, batch, permitted, seen), f"{batch_id}-errors.xlsx")
