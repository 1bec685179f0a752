"""查人知住 routes: where a person lives and works, by person id or by document number.

Read your own write: ``min_version`` waits for the person's own stream; ``after`` (repeatable,
``<stream_id>:<version>``, e.g. ``house-H1:4`` or ``unit-U1:2``, the ``stream_id`` and ``version`` a command on
another service returned) waits until this view has applied that stream up to that version.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query

from services.kernel.web.authz import Allowed, Caller
from services.kernel.base.errors import NotFound
from services.kernel.base.masking import mask_id, visibility
from services.kernel.web.reads import After, MinVersion, caught_up, caught_up_after
from services.person.bootstrap import Reads
from services.person.domain.person import person_stream
from services.person.views import whereabouts as views
from services.person.views.persons import normalised_lookup_number
from services.person.whereabouts import WHEREABOUTS

router = APIRouter(prefix="/v1/persons", tags=["whereabouts 查人知住"])
ROLES = ("collector", "police", "supervisor")


async def answer(reads, caller: Caller, document: dict | None, asked: str) -> dict:
    if document is None:
        raise NotFound("person", asked)
    result = views.derive(document)
    caller.require_within(result["division_code"], "person")
    if not visibility(caller.actor.role, True).id_numbers:
        result["document_number"] = mask_id(result["document_number"])
    # the access-log entry and the address name are independent round trips: overlap them
    _, result = await asyncio.gather(caller.accessed("whereabouts", result["person_id"], result["division_code"]),
                                     views.with_current_names(reads, result))
    return result


@router.get("/whereabouts", summary="查人知住 by document number 按证件号码查人知住 (residence, house, rental, employers, history)")
async def whereabouts_by_document(reads: Reads, caller: Allowed("person.whereabouts", *ROLES),
                                  document_number: Annotated[str, Query(min_length=6, max_length=40,
                                                                        description="证件号码")],
                                  after: After = []) -> dict:  # noqa: B006 - FastAPI copies defaults
    await caught_up_after(reads, WHEREABOUTS, after, caller=caller, locate=views.locator(reads))
    number, _ = normalised_lookup_number(document_number)
    document = await views.whereabouts_document(reads, document_number=number)
    if document is not None and not caller.within(views.derive(document)["division_code"]):
        # a lookup by key is filtered like a list: a number registered elsewhere answers as one never registered
        # (a 403 named the township holding it); the refusal is traced for the audit with the person's division
        person = views.derive(document)
        await caller.accessed("whereabouts", person["person_id"], person["division_code"], outcome="refused",
                              lookup={"document_number": mask_id(number)}, result_count=0)
        raise NotFound("person", document_number, traced=True)
    return await answer(reads, caller, document, document_number)


@router.get("/{person_id}/whereabouts", summary="查人知住 Where a person lives and works (residence, house, rental, "
                                                "lessor, employers, history)")
async def whereabouts(person_id: str, reads: Reads, caller: Allowed("person.whereabouts", *ROLES),
                      min_version: MinVersion = 0, after: After = []) -> dict:  # noqa: B006
    await caught_up(reads, WHEREABOUTS, person_stream(person_id), min_version, "person", person_id, caller=caller)
    await caught_up_after(reads, WHEREABOUTS, after, caller=caller, locate=views.locator(reads))
    return await answer(reads, caller, await views.whereabouts_document(reads, person_id), person_id)
