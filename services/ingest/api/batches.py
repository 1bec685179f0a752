"""Routes of the gate over HTTP (社会化采集接口): submit a batch, follow its progress.

A batch goes through the same path as a record on Kafka: checked here for what the gate knows (so a batch
with a record the agency may not send is refused at once, 422 naming the record and field; over 10,000
records is 413), then each record is published to the agency's topic and answered on its replies topic; the
status below is built from those answers.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from contracts.ingest import HOUSE_EXAMPLE, PERSON_EXAMPLE
from services.ingest.config import MAX_BATCH, agencies
from services.ingest.gate import check, duplicates, parse
from services.ingest.batches import BATCHES, submit
from services.ingest.views.batches import batch_records, batch_status
from services.kernel.web.authz import Allowed, Caller
from services.kernel.web.body_limit import body_limit
from services.kernel.web.exports import FILE_RESPONSES, Format, answer
from services.kernel.web.paging import PAGE_DEFAULT, CursorParam, Limit
from services.kernel.base.errors import DomainRuleViolation, Forbidden, NotFound
from services.agency.ingest import INGEST_REJECTS
from services.ingest.bootstrap import Gate

router = APIRouter(prefix="/v1/ingest", tags=["ingest 社会化采集"])
MAX_BATCH_BODY_BYTES = 32 * 1024 * 1024  #: 10,000 records of a few KB each


class BatchSubmission(BaseModel):
    """一批采集记录 (at most 10,000)."""

    records: list[Annotated[dict[str, Any], Field(max_length=16)]] = Field(
        description="IngestRecord objects (contracts/ingest.py); over 10,000 is 413", examples=[[PERSON_EXAMPLE]],
        json_schema_extra={"maxItems": MAX_BATCH})


class BatchAccepted(BaseModel):
    batch_id: str = Field(examples=["B0192f1a2b3c47d5e8f9a0b1c2d3e4f5a6"])
    agency: str = Field(examples=["mz-civil-affairs"])
    total: int = Field(examples=[1])
    refused_at_once: int = Field(default=0, description="spreadsheet rows that are not records (in the status)",
                                 examples=[0])
    status_url: str = Field(examples=["/v1/ingest/batches/B0192f1a2b3c47d5e8f9a0b1c2d3e4f5a6"])


def own_agency(caller: Caller, agency_id: str) -> None:
    """An agency acts for itself only (admins for any)."""
    if caller.actor.role == "agency" and caller.actor.id != agency_id:
        raise Forbidden(f"agency {caller.actor.id} may not act for agency {agency_id}",
                        f"采集单位 {caller.actor.id} 不能代 {agency_id} 报送或查询")


def known_agency(agency_id: str):
    agency = agencies().get(agency_id)
    if agency is None:
        raise DomainRuleViolation("agency", "agency.unknown", f"agency {agency_id!r} is not configured",
                                  f"未登记的采集单位 {agency_id}")
    return agency


def gate_errors(agency, raw_records: list) -> tuple[list, list[dict]]:
    """The records as IngestRecords and every gate rule they break, located as body.records.<i>.<field>."""
    records, details = [], []
    for index, raw in enumerate(raw_records):
        checked = parse(raw, "")
        reasons = checked.reasons or check(agency, checked.record)
        records.append(checked.record)
        for reason in reasons:
            loc = ["body", "records", index, *([part for part in reason.field.split(".") if part] or [])]
            details.append({"loc": loc, "type": reason.rule, "msg": reason.msg, "msg_zh": reason.msg_zh,
                            "record_id": checked.record_id})
    if not details:
        for index, reason in duplicates(records).items():
            details.append({"loc": ["body", "records", index, "record_id"], "type": reason.rule, "msg": reason.msg,
                            "msg_zh": reason.msg_zh, "record_id": records[index].record_id})
    return records, details


@router.post("/{agency}/batches", status_code=status.HTTP_202_ACCEPTED, response_model=BatchAccepted,
             summary="Submit a batch of records 批量报送采集记录 (up to 10,000; answered at once)",
             responses={413: {"description": "more than 10,000 records"},
                        422: {"description": "a record breaks a gate rule (record index and field named)"}})
@body_limit(MAX_BATCH_BODY_BYTES)
async def submit_batch(agency: str, gate: Gate,
                       body: Annotated[BatchSubmission, Body(openapi_examples={"person": {
                           "summary": "民政局报送常住人口", "value": {"records": [PERSON_EXAMPLE]}}, "house": {
                           "summary": "住建局报送房屋（地址为文本）", "value": {"records": [HOUSE_EXAMPLE]}}})],
                       caller: Allowed("ingest.submit", "agency")):
    configured = known_agency(agency)
    own_agency(caller, agency)
    if len(body.records) > MAX_BATCH:
        return JSONResponse(status_code=413, content={"detail": [{
            "loc": ["body", "records"], "type": "batch.too_large",
            "msg": f"{len(body.records)} records; a batch holds at most {MAX_BATCH}",
            "msg_zh": f"每批最多 {MAX_BATCH} 条，本批 {len(body.records)} 条"}]})
    records, details = gate_errors(configured, body.records)
    if details:
        for detail in details:
            INGEST_REJECTS.labels(configured.id, detail["type"]).inc()
        return JSONResponse(status_code=422, content={"detail": details})
    return await submit(gate, configured, list(enumerate(records)), "http", caller.actor.id)


def may_read_batch(caller: Caller, agency_id: str) -> None:
    """An agency its own batches; a supervisor those of agencies inside their jurisdiction."""
    own_agency(caller, agency_id)
    if caller.actor.role != "agency":
        caller.require_within(agencies()[agency_id].jurisdiction if agency_id in agencies() else None, "batch")


@router.get("/batches/{batch_id}", summary="Batch progress 批次进度: accepted, rejected with reasons, awaiting review")
async def get_batch(batch_id: str, gate: Gate,
                    caller: Allowed("ingest.batch.read", "agency", "supervisor"),
                    limit: Annotated[int, Query(ge=1, le=MAX_BATCH, description="records listed per status (the "
                                                "first ones; every one: /batches/{batch_id}/records)")] = 1000
                    ) -> dict:
    found = await batch_status(gate.db, batch_id, limit)
    if found is None:
        raise NotFound("batch", batch_id)
    may_read_batch(caller, found["agency"])
    return found


@router.get("/batches/{batch_id}/records", summary="A batch's records 批次记录 (one status or all, in row order; "
                                                   "paged, or the whole list as csv/xlsx)", responses=FILE_RESPONSES)
async def get_batch_records(batch_id: str, gate: Gate,
                            caller: Allowed("ingest.batch.read", "agency", "supervisor"),
                            status_: Annotated[Literal["accepted", "rejected", "review"] | None,
                                               Query(alias="status", description="only records with this answer")] = None,
                            cursor: CursorParam = None, limit: Limit = PAGE_DEFAULT, format: Format = "json"):
    db = gate.db
    batch = await db[BATCHES].find_one({"_id": batch_id}, {"agency": 1})
    if batch is None:
        raise NotFound("batch", batch_id)
    may_read_batch(caller, batch["agency"])
    found = await answer(batch_records(db, batch_id, status_), format, cursor, limit, caller, f"batch-{batch_id}")
    return {"batch_id": batch_id, **found} if isinstance(found, dict) else found
