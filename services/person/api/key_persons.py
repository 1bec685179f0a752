"""Routes for key persons (重点人员): the 列管 workflow. Requests by police of the responsible jurisdiction,
decisions (approve / reject with reasons) by a supervisor of that jurisdiction; illegal steps answer 409."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, status

from services.kernel.web.authz import Allowed
from services.kernel.web.commands import CommandRoutes
from services.kernel.web.exports import FILE_RESPONSES, Format, answer
from services.kernel.web.paging import PAGE_DEFAULT, CursorParam, Limit
from services.kernel.web.reads import MinVersion, caught_up, public, shown_one
from services.person.bootstrap import Reads, Service
from services.person.application import KeyPersonAccepted
from services.person.commands import (
    ApplyKeyPersonListing, ApplyKeyPersonRelease, Decide, RequestKeyPersonRecategorization, RequestKeyPersonTransfer,
)
from services.person.domain.key_person import key_person_stream
from services.person.projections import REGISTRY
from services.person.views.key_persons import key_person_by_id, list_key_persons

router = APIRouter(prefix="/v1/key-persons", tags=["key persons 重点人员"])
State = Literal["applied", "listed", "rejected", "release_applied", "released"]


commands = CommandRoutes(router, Service, KeyPersonAccepted)
commands.post("", ApplyKeyPersonListing, "apply_key_person_listing", Allowed("key_person.request", "police"),
              status_code=status.HTTP_201_CREATED, summary="Apply to list a key person 列管申请", name="apply_listing")


@router.get("/{key_person_id}", summary="Read a key-person record 查询重点人员 (state, pending request, every step)")
async def get_key_person(key_person_id: str, reads: Reads, caller: Allowed("key_person.read", "police", "supervisor"),
                         min_version: MinVersion = 0) -> dict:
    await caught_up(reads, REGISTRY, key_person_stream(key_person_id), min_version, "key person", key_person_id,
                    caller=caller)
    document = await key_person_by_id(reads, key_person_id)
    return public(await shown_one(caller, document, "key person", key_person_id, logged_as="key_person"),
                  "key_person_id")


@router.get("", summary="List key persons 重点人员列表 (your jurisdiction; paged, or the whole list as csv/xlsx)",
            responses=FILE_RESPONSES)
async def list_(reads: Reads, caller: Allowed("key_person.read", "police", "supervisor"), state: State | None = None,
                person_id: str | None = None, category_code: str | None = None, cursor: CursorParam = None,
                limit: Limit = PAGE_DEFAULT, format: Format = "json") -> dict:
    worklist = list_key_persons(reads, caller.scope_query("division_code"), state, person_id, category_code)
    return await answer(worklist, format, cursor, limit, caller, "key-persons", logged_as="key_person")  # 查询留痕


commands.post("/{key_person_id}/approve", Decide, "approve_key_person", Allowed("key_person.decide", "supervisor"),
              summary="Approve the pending step 审批通过 (列管, 撤管, 转递 or 转类)", name="approve")
commands.post("/{key_person_id}/reject", Decide, "reject_key_person", Allowed("key_person.decide", "supervisor"),
              summary="Reject the pending step with reasons 审批不通过", name="reject")
commands.post("/{key_person_id}/release", ApplyKeyPersonRelease, "apply_key_person_release",
              Allowed("key_person.request", "police"), summary="Apply for release 撤管申请", name="apply_release")
commands.post("/{key_person_id}/transfer", RequestKeyPersonTransfer, "request_key_person_transfer",
              Allowed("key_person.request", "police"), summary="Request a transfer 转递 (another unit or jurisdiction)",
              name="request_transfer")
commands.post("/{key_person_id}/recategorize", RequestKeyPersonRecategorization, "request_key_person_recategorization",
              Allowed("key_person.request", "police"), summary="Request a change of category 转类",
              name="request_recategorization")
