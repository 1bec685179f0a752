"""以房管人 routes: who lives in a house, or at / under an address (door plate, building, room).

Read your own write: ``min_version`` waits for the house's stream in the house registry; ``after`` (repeatable,
``person-<id>:<version>``) waits until the person replica has applied a person's (or key person's) stream.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.house.domain.house import house_stream
from services.house.occupants import OCCUPANTS
from services.house.projections import registry
from services.house.views import occupants as views
from services.house.views.houses import house_document
from services.kernel.web.authz import Allowed
from services.kernel.web.access_trace import returned
from services.kernel.web.paging import PAGE_DEFAULT, CursorParam, Limit
from services.kernel.web.reads import After, MinVersion, caught_up, caught_up_after
from services.replicas.person import person_locator
from services.house.bootstrap import Reads

router = APIRouter(prefix="/v1/houses", tags=["occupants 以房管人"])
ROLES = ("collector", "police", "supervisor")


@router.get("/occupants", summary="以房管人 by address 按地址查居住人员 (door plate, building or room): the residents "
                               "page by page ({total, items, next_cursor}), counts per room over all of them")
async def occupants_at(reads: Reads, caller: Allowed("house.occupants", *ROLES),
                       address_code: Annotated[str, Query(pattern=r"^\d{12,35}$", description="标准地址编码 or its prefix "
                                                          "(a door plate's or building's rooms)")],
                       after: After = [], cursor: CursorParam = None,  # noqa: B006 - FastAPI copies defaults
                       limit: Limit = PAGE_DEFAULT) -> dict:
    await caught_up_after(reads, OCCUPANTS, after, caller=caller, locate=person_locator(reads, OCCUPANTS))
    answer = await views.address_occupants(reads, address_code, caller.scope_query("division_code"), cursor, limit)
    await caller.accessed("address_occupants", address_code, lookup={"address_code": address_code},
                          result_count=len(answer["items"]), records=returned(answer["items"], "person_id"))
    return answer


@router.get("/{house_id}/occupants", summary="以房管人 Who lives in a house 房屋居住人员 (residents by category, tenants, "
                                             "security responsible person, key persons)")
async def occupants(house_id: str, reads: Reads, caller: Allowed("house.occupants", *ROLES), min_version: MinVersion = 0,
                    after: After = []) -> dict:  # noqa: B006
    await caught_up(reads, registry.name, house_stream(house_id), min_version, "house", house_id, caller=caller)
    await caught_up_after(reads, OCCUPANTS, after, caller=caller, locate=person_locator(reads, OCCUPANTS))
    house = await house_document(reads, house_id)
    caller.require_within(house.get("division_code"), "house")
    answer = await views.house_occupants(reads, house)
    persons = [*answer.get("residents", []), *answer.get("tenants", [])]
    await caller.accessed("house_occupants", house_id, house.get("division_code"),  # its persons too
                          result_count=len(persons), records=returned(persons, "person_id"))
    return answer
