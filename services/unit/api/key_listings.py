"""Routes for key units and key locations (重点单位/重点部位 列管 and 撤管): requests by police of the unit's
jurisdiction, decisions (approve / reject with reasons, of whichever request is pending) by a supervisor of it; a step that does not fit the state
answers 409 naming it. Lists: the pending requests, the key units and the key locations, each paged or exported."""

from __future__ import annotations

from fastapi import APIRouter, status

from services.kernel.web.authz import Allowed
from services.kernel.web.commands import CommandRoutes
from services.kernel.web.exports import FILE_RESPONSES, Format, answer
from services.kernel.web.paging import PAGE_DEFAULT, CursorParam, Limit
from services.unit.application import UnitAccepted
from services.unit.bootstrap import Reads, Service
from services.unit.commands import DecideKeyListing, ReleaseKeyListing, RequestKeyLocation, RequestKeyUnit
from services.unit.views import key_listings as views

router = APIRouter(tags=["key units 重点单位/重点部位"])
READING = ("police", "supervisor")
CONFLICT = {409: {"description": "the step does not fit the listing's state (named in the answer)"}}


@router.get("/v1/key-units/requests", summary="Pending key-unit and key-location requests 重点单位/重点部位待审批 "
            "(your jurisdiction; paged, or the whole list as csv/xlsx)", responses=FILE_RESPONSES)
async def pending_requests(reads: Reads, caller: Allowed("key_unit.read", *READING), cursor: CursorParam = None,
                           limit: Limit = PAGE_DEFAULT, format: Format = "json") -> dict:
    return await answer(views.pending_requests(reads, caller.scope_query("division_code")), format, cursor, limit,
                        caller, "key-unit-requests")


@router.get("/v1/key-units", summary="Listed key units 重点单位列表 (your jurisdiction; paged, or csv/xlsx)",
            responses=FILE_RESPONSES)
async def key_units(reads: Reads, caller: Allowed("key_unit.read", *READING), cursor: CursorParam = None,
                    limit: Limit = PAGE_DEFAULT, format: Format = "json") -> dict:
    return await answer(views.key_units(reads, caller.scope_query("division_code")), format, cursor, limit, caller,
                        "key-units")


@router.get("/v1/key-locations", summary="Listed key locations 重点部位列表 (your jurisdiction; paged, or csv/xlsx)",
            responses=FILE_RESPONSES)
async def key_locations(reads: Reads, caller: Allowed("key_unit.read", *READING), cursor: CursorParam = None,
                        limit: Limit = PAGE_DEFAULT, format: Format = "json") -> dict:
    return await answer(views.key_locations(reads, caller.scope_query("division_code")), format, cursor, limit,
                        caller, "key-locations")


commands = CommandRoutes(router, Service, UnitAccepted)
REQUEST, DECIDE = Allowed("key_unit.request", "police"), Allowed("key_unit.decide", "supervisor")
commands.post("/v1/units/{unit_id}/key-unit", RequestKeyUnit, "request_key_unit", REQUEST, responses=CONFLICT,
              summary="Apply to list the unit as a key unit 重点单位列管申请")
commands.post("/v1/units/{unit_id}/key-unit/release", ReleaseKeyListing, "request_key_unit_release", REQUEST,
              responses=CONFLICT, summary="Apply to release the key unit 重点单位撤管申请")
commands.post("/v1/units/{unit_id}/key-unit/approve", DecideKeyListing, "approve_key_unit", DECIDE,
              responses=CONFLICT, summary="Approve the pending key-unit request 重点单位列管/撤管审批通过")
commands.post("/v1/units/{unit_id}/key-unit/reject", DecideKeyListing, "reject_key_unit", DECIDE,
              responses=CONFLICT, summary="Reject the pending key-unit request with reasons 重点单位列管/撤管审批不通过")
commands.post("/v1/units/{unit_id}/key-locations", RequestKeyLocation, "request_key_location", REQUEST,
              status_code=status.HTTP_201_CREATED, responses=CONFLICT,
              summary="Apply to list a part of the unit as a key location 重点部位列管申请 (its own location_id)")
commands.post("/v1/units/{unit_id}/key-locations/{location_id}/release", ReleaseKeyListing,
              "request_key_location_release", REQUEST, responses=CONFLICT,
              summary="Apply to release the key location 重点部位撤管申请")
commands.post("/v1/units/{unit_id}/key-locations/{location_id}/approve", DecideKeyListing, "approve_key_location",
              DECIDE, responses=CONFLICT, summary="Approve the pending key-location request 重点部位列管/撤管审批通过")
commands.post("/v1/units/{unit_id}/key-locations/{location_id}/reject", DecideKeyListing, "reject_key_location",
              DECIDE, responses=CONFLICT,
              summary="Reject the pending key-location request with reasons 重点部位列管/撤管审批不通过")
