"""Routes of the address review queue (地址治理): free-text addresses the matcher could not link with confidence.

A collector lists the open items (with their age, so nothing waits silently), picks the standard address —
or registers a new door plate with the address service first and picks that — and the record proceeds to its
registry like any other.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from contracts.ingest import AddressLink, IngestCommand
from services.ingest.addresses import REVIEWS
from services.ingest.config import ingest_settings
from services.ingest.consumers import Forwarder
from services.kernel.web.authz import Allowed
from services.kernel.base.errors import NotFound, StateConflict
from services.kernel.web.exports import FILE_RESPONSES, Format, answer
from services.kernel.web.paging import PAGE_DEFAULT, CursorParam, Limit, Segment, Worklist, one_each
from services.ingest.bootstrap import Gate

router = APIRouter(prefix="/v1/ingest/reviews", tags=["address review 地址治理"])
REVIEWERS = ("collector", "supervisor")


class Resolve(BaseModel):
    """人工确认地址: the standard address the free text means."""

    address_code: str = Field(min_length=6, max_length=40, pattern=r"^\d+$", description="标准地址编码",
                              examples=["532503001509034148625531"])
    remark: str = Field(default="", max_length=200, description="备注", examples=["现场核实为天马路18号"])


def _item(doc: dict, now: datetime) -> dict:
    age = (now - doc["queued_at"]).total_seconds()
    return {"review_id": doc["_id"], "agency": doc["agency"], "agency_name": doc.get("agency_name"),
            "record_id": doc["record_id"], "entity_type": doc["entity_type"], "text": doc["text"],
            "candidate": doc.get("candidate"), "threshold": doc.get("threshold"), "state": doc["state"],
            "division_code": doc["division_code"], "queued_at": doc["queued_at"], "age_seconds": round(age, 1),
            "overdue": age > ingest_settings().review_age_warning_hours * 3600,
            "resolution": doc.get("resolution")}


def visible(caller) -> dict:
    """An item lies at its agency's jurisdiction: a caller sees those inside their scope and those of agencies
    whose jurisdiction contains it (a township collector sees the county agency's items)."""
    prefix = caller.scope.prefix
    if prefix is None:
        return {}
    return {"$or": [caller.scope_query("division_code"),
                    {"division_code": {"$in": [prefix[:n] for n in range(2, len(prefix) + 1)]}}]}


@router.get("", summary="Open address reviews 地址治理待办 (oldest first, with their age; paged, or the whole list as "
                         "csv/xlsx)", responses=FILE_RESPONSES)
async def list_reviews(gate: Gate, caller: Allowed("ingest.review.read", *REVIEWERS),
                       state: Annotated[str, Query(pattern="^(open|resolved)$")] = "open",
                       cursor: CursorParam = None, limit: Limit = PAGE_DEFAULT, format: Format = "json") -> dict:
    db = gate.db
    query = {"state": state, **visible(caller)}
    now = datetime.now(timezone.utc)
    worklist = Worklist.of(Segment(db[REVIEWS], query, one_each(lambda doc: _item(doc, now)),
                                   sort=(("queued_at", 1), ("_id", 1))))
    found = await answer(worklist, format, cursor, limit, caller, f"address-reviews-{state}")
    if not isinstance(found, dict):
        return found
    oldest = await db[REVIEWS].find_one(query, sort=[("queued_at", 1), ("_id", 1)]) if state == "open" else None
    return {**found, "oldest_age_seconds": _item(oldest, now)["age_seconds"] if oldest else None}


@router.post("/{review_id}/resolve", summary="Pick the standard address 人工确认地址 (the record then proceeds)",
             responses={409: {"description": "the item was resolved already"}})
async def resolve_review(review_id: str, body: Resolve, gate: Gate,
                         caller: Allowed("ingest.review.resolve", *REVIEWERS)) -> dict:
    doc = await gate.db[REVIEWS].find_one({"_id": review_id})
    if doc is None:
        raise NotFound("review", review_id)
    caller.require_within(body.address_code[:9], "address")
    if doc["state"] != "open":
        raise StateConflict("review.resolved", f"review {review_id} was resolved already", "该地址已确认")
    command = IngestCommand.model_validate(doc["command"]).model_copy(update={"address_link": AddressLink(
        address_code=body.address_code, score=None, text=doc["text"], decided_by=caller.actor.id,
        reason=f"collector {caller.actor.id}: {body.remark or '人工确认'}")})
    await (await Forwarder(gate).forward(command))
    resolution = {"address_code": body.address_code, "by": caller.actor.id, "remark": body.remark,
                  "at": datetime.now(timezone.utc)}
    await gate.db[REVIEWS].update_one({"_id": review_id, "state": "open"},
                                    {"$set": {"state": "resolved", "resolution": resolution}})
    return {"review_id": review_id, "state": "resolved", "address_code": body.address_code,
            "record_id": doc["record_id"], "agency": doc["agency"]}
