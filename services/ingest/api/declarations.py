"""Routes of declarations (信息申报): a declarant declares, police of the jurisdiction verify or reject.

A declarant — a landlord, an employer, a hotel — holds a token of role ``agency`` (an outside party: it sees
only what it sent, masked as an agency) whose ``sub`` is its own id and ``org`` its jurisdiction. Police verify
(核实) or reject (退回, with a reason) within the deadline; a verified declaration is handed to the registry
(services.ingest.declarations.handover) and shows the registry's answer.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, status

from contracts.declarations import KINDS
from contracts.events import event_class
from services.ingest.declarations.bootstrap import Declarations
from services.ingest.declarations.commands import EXAMPLES, Declare, DeclarationAccepted, Reject, Verify
from services.ingest.declarations.domain import stream_id_of
from services.ingest.declarations.views import declarations, shaped, stamp
from services.kernel.base.errors import Forbidden, NotFound
from services.kernel.web.authz import Allowed
from services.kernel.web.commands import CommandRoutes
from services.kernel.web.deps import Reads
from services.kernel.web.exports import FILE_RESPONSES, Format, answer
from services.kernel.web.jurisdiction import DivisionCode
from services.kernel.web.paging import PAGE_DEFAULT, CursorParam, Limit

router = APIRouter(prefix="/v1/declarations", tags=["declarations 信息申报"])
READERS = ("police", "supervisor", "agency")
DECIDE = Allowed("declaration.verify", "police")
CONFLICT = {409: {"description": "decided already (declaration.decided) or a stale expected_version"},
            403: {"description": "not police, the declarant itself, or outside your jurisdiction"}}


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=DeclarationAccepted,
             summary="Declare 信息申报 (承租人入住/搬离, 从业人员入职/离职, 旅客入住): pending police verification",
             responses={403: {"description": "division_code outside your jurisdiction"}})
async def declare(command: Annotated[Declare, Body(openapi_examples=EXAMPLES)], svc: Declarations,
                  caller: Allowed("declaration.submit", "agency")) -> DeclarationAccepted:
    return await svc.declare(command, caller.context)


commands = CommandRoutes(router, Declarations, DeclarationAccepted)
commands.post("/{declaration_id}/verify", Verify, "verify", DECIDE, responses=CONFLICT,
              summary="Verify 核实申报 (police of its jurisdiction; then handed to the registry)")
commands.post("/{declaration_id}/reject", Reject, "reject", DECIDE, responses=CONFLICT,
              summary="Reject 退回申报 with a reason (police of its jurisdiction)")


@router.get("", summary="Declarations 申报台账 (待核实 state=pending, 逾期 overdue=true; paged, or csv/xlsx)",
            responses=FILE_RESPONSES)
async def list_declarations(reads: Reads, caller: Allowed("declaration.read", *READERS),
                            state: Annotated[Literal["pending", "verified", "rejected"] | None,
                                             Query(description="pending 待核实, verified 已核实, rejected 已退回")] = None,
                            division_code: DivisionCode = None,
                            kind: Annotated[Literal[KINDS] | None, Query(description="申报类型")] = None,  # type: ignore[valid-type]
                            overdue: Annotated[bool, Query(description="only pending ones past their deadline "
                                                                       "(逾期未核实)")] = False,
                            registry: Annotated[Literal["pending", "accepted", "rejected"] | None,
                                                Query(description="the registry's answer to a verified one "
                                                                  "(rejected: 登记被退回, to follow up)")] = None,
                            cursor: CursorParam = None, limit: Limit = PAGE_DEFAULT, format: Format = "json"):
    worklist = declarations(reads, caller, state, division_code, kind, overdue, datetime.now(timezone.utc),
                            registry)
    return await answer(worklist, format, cursor, limit, caller, f"declarations-{state or 'all'}")


@router.get("/{declaration_id}", summary="One declaration 申报详情 (with the registry's answer once verified)")
async def get_declaration(declaration_id: str, svc: Declarations,
                          caller: Allowed("declaration.read", *READERS)) -> dict:
    envelopes = await svc.store.read_stream(stream_id_of(declaration_id))
    if not envelopes:
        raise NotFound("declaration", declaration_id)
    state: dict = {}
    for envelope in envelopes:
        state = event_class(envelope.event_type).model_validate(envelope.payload).evolve(state)
    if caller.actor.role == "agency" and state["declarant"] != caller.actor.id:
        raise Forbidden(f"declaration {declaration_id} is another declarant's", "该申报不是您提交的")
    caller.require_within(state["division_code"], "declaration")
    await caller.accessed("declaration", declaration_id, state["division_code"])
    return shaped({**state, "_version": envelopes[-1].version}, stamp(datetime.now(timezone.utc)))
