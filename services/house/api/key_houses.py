"""Routes for 管理等级与重点房屋 by request and approval: police of the house's jurisdiction request, a supervisor
of it approves or rejects (with reasons); the key houses and the requests are lists of the caller's jurisdiction.
The direct setting (POST /v1/houses/{house_id}/key-status) stays a supervisor's (api/houses.py)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, status

from contracts.house import ManagementLevel
from services.house.application import HouseAccepted
from services.house.bootstrap import Reads, Service
from services.house.commands import DecideKeyStatus, RequestKeyStatus
from services.house.views.key_houses import key_houses, key_status_requests
from services.kernel.web.authz import Allowed
from services.kernel.web.commands import CommandRoutes
from services.kernel.web.exports import FILE_RESPONSES, Format, answer
from services.kernel.web.paging import PAGE_DEFAULT, CursorParam, Limit

router = APIRouter(prefix="/v1/houses", tags=["key houses 重点房屋"])
READING = ("police", "supervisor")


@router.get("/key-houses", summary="Key houses 重点房屋列表 (your jurisdiction; paged, or the whole list as csv/xlsx)",
            responses=FILE_RESPONSES)
async def list_key_houses(reads: Reads, caller: Allowed("house.key_read", *READING),
                          management_level: ManagementLevel | None = None, cursor: CursorParam = None,
                          limit: Limit = PAGE_DEFAULT, format: Format = "json") -> dict:
    worklist = key_houses(reads, caller.scope_query("division_code"), management_level)
    return await answer(worklist, format, cursor, limit, caller, "key-houses")


@router.get("/key-status-requests", summary="Key-status requests 管理等级/重点房屋申请 (default: pending 待审批; your "
                                            "jurisdiction; paged, or the whole list as csv/xlsx)",
            responses=FILE_RESPONSES)
async def list_key_status_requests(reads: Reads, caller: Allowed("house.key_read", *READING),
                                   state: Literal["pending", "approved", "rejected"] = "pending",
                                   cursor: CursorParam = None, limit: Limit = PAGE_DEFAULT,
                                   format: Format = "json") -> dict:
    worklist = key_status_requests(reads, caller.scope_query("division_code"), state)
    return await answer(worklist, format, cursor, limit, caller, f"key-status-requests-{state}")


commands = CommandRoutes(router, Service, HouseAccepted)
commands.post("/{house_id}/key-status-requests", RequestKeyStatus, "request_key_status",
              Allowed("house.key_request", "police"), status_code=status.HTTP_201_CREATED,
              summary="Request a management level / key-house status 管理等级/重点房屋申请 (a supervisor decides)",
              responses={409: {"description": "a request is already pending (house.key_status_pending), or the "
                                              "house is demolished"}})
commands.post("/{house_id}/key-status-requests/{request_id}/approve", DecideKeyStatus, "approve_key_status",
              Allowed("house.key_decide", "supervisor"),
              summary="Approve a key-status request 审批通过 (the house takes the requested status)",
              responses={409: {"description": "the request was already decided (key_status_request.decided)"}})
commands.post("/{house_id}/key-status-requests/{request_id}/reject", DecideKeyStatus, "reject_key_status",
              Allowed("house.key_decide", "supervisor"),
              summary="Reject a key-status request with reasons 审批不通过",
              responses={409: {"description": "the request was already decided (key_status_request.decided)"}})
