"""Routes for key persons (重点人员): the 列管 workflow. Requests by police of the responsible jurisdiction,
decisions (approve / reject with reasons) by a supervisor of that jurisdiction; illegal steps answer 409."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, status

from services.kernel.web.authz import Allowed
from services.kernel.base.errors import NotFound
from services.kernel.web.exports import FILE_RESPONSES, Format, answer
from services.kernel.web.paging import PAGE_DEFAULT, CursorParam, Limit
from services.kernel.web.reads import MinVersion, caught_up, public
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


@router.post("", status_code=status.HTTP_201_CREATED, response_model=KeyPersonAccepted,
             summary="Apply to list a key person 列管申请")
async def apply_listing(command: ApplyKeyPersonListing, svc: Service,
                        caller: Allowed("key_person.request", "police")) -> KeyPersonAccepted:
    return await svc.apply_key_person_listing(command, caller.context)


@router.get("/{key_person_id}", summary="Read a key-person record 查询重点人员 (state, pending request, every step)")
async def get_key_person(key_person_id: str, reads: Reads, caller: Allowed("key_person.read", "police", "supervisor"),
                         min_version: MinVersion = 0) -> dict:
    await caught_up(reads, REGISTRY, key_person_stream(key_person_id), min_version, "key person", key_person_id,
                    caller=caller)
    document = await key_person_by_id(reads, key_person_id)
    if document is None:
        raise NotFound("key person", key_person_id)
    caller.require_within(document["division_code"], "key person")
    await caller.accessed("key_person", key_person_id, document["division_code"])
    return public(document, "key_person_id")


@router.get("", summary="List key persons 重点人员列表 (your jurisdiction; paged, or the whole list as csv/xlsx)",
            responses=FILE_RESPONSES)
async def list_(reads: Reads, caller: Allowed("key_person.read", "police", "supervisor"), state: State | None = None,
                person_id: str | None = None, category_code: str | None = None, cursor: CursorParam = None,
                limit: Limit = PAGE_DEFAULT, format: Format = "json") -> dict:
    worklist = list_key_persons(reads, caller.scope_query("division_code"), state, person_id, category_code)
    return await answer(worklist, format, cursor, limit, caller, "key-persons", logged_as="key_person")  # 查询留痕


@router.post("/{key_person_id}/approve", response_model=KeyPersonAccepted,
             summary="Approve the pending step 审批通过 (列管, 撤管, 转递 or 转类)")
async def approve(key_person_id: str, command: Decide, svc: Service,
                  caller: Allowed("key_person.decide", "supervisor")) -> KeyPersonAccepted:
    return await svc.approve_key_person(key_person_id, command, caller.context)


@router.post("/{key_person_id}/reject", response_model=KeyPersonAccepted,
             summary="Reject the pending step with reasons 审批不通过")
async def reject(key_person_id: str, command: Decide, svc: Service,
                 caller: Allowed("key_person.decide", "supervisor")) -> KeyPersonAccepted:
    return await svc.reject_key_person(key_person_id, command, caller.context)


@router.post("/{key_person_id}/release", response_model=KeyPersonAccepted, summary="Apply for release 撤管申请")
async def apply_release(key_person_id: str, command: ApplyKeyPersonRelease, svc: Service,
                        caller: Allowed("key_person.request", "police")) -> KeyPersonAccepted:
    return await svc.apply_key_person_release(key_person_id, command, caller.context)


@router.post("/{key_person_id}/transfer", response_model=KeyPersonAccepted,
             summary="Request a transfer 转递 (another unit or jurisdiction)")
async def request_transfer(key_person_id: str, command: RequestKeyPersonTransfer, svc: Service,
                           caller: Allowed("key_person.request", "police")) -> KeyPersonAccepted:
    return await svc.request_key_person_transfer(key_person_id, command, caller.context)


@router.post("/{key_person_id}/recategorize", response_model=KeyPersonAccepted,
             summary="Request a change of category 转类")
async def request_recategorization(key_person_id: str, command: RequestKeyPersonRecategorization, svc: Service,
                                   caller: Allowed("key_person.request", "police")) -> KeyPersonAccepted:
    return await svc.request_key_person_recategorization(key_person_id, command, caller.context)
