"""逻辑错误 and address coverage of houses: from the house registry and the house service's address replica.

A house let (or with tenants) while its use says it is not let (``house.let_not_rented``,
``house.tenant_not_rented``: the house domain's own rule) is listed per division with the rentals involved;
it clears when the use is changed or the rental ends, because the registry shows the house as it is now.
"""

from __future__ import annotations

from typing import Any

from contracts.house import LETTING_USES
from services.house.domain.house import current_tenants, logic_errors
from services.house.projections import HOUSES, addresses, registry
from services.replicas.coverage import coverage_answer
from services.kernel.web.paging import Segment, Worklist, counts_per_division
from services.kernel.messaging.read_models import ReadModels


def houses(reads: ReadModels):
    return reads.read_model(registry.name, HOUSES)


def _errors(document: dict) -> list[dict[str, Any]]:
    state = {key: value for key, value in document.items() if not key.startswith("_")}
    return [{"rule": error["type"], "msg_zh": error["msg_zh"], "house_id": document["_id"],
             "address_code": document.get("address_code"), "division_code": document.get("division_code"),
             "use": document.get("use"),
             "rentals": [{"rental_id": rental["rental_id"], "lessor": rental.get("lessor"),
                          "tenants": [t["person_id"] for t in current_tenants(rental)]}
                         for rental in document.get("rentals", []) if rental.get("status") == "active"]}
            for error in logic_errors(state)]


def logic_error_list(reads: ReadModels, scope: dict) -> Worklist:
    """Houses let while their use says otherwise, one item per error, in house id order."""
    async def rows(documents: list[dict]) -> list[list[dict[str, Any]]]:
        return [_errors(document) for document in documents]

    query = {"rentals.status": "active", "use": {"$nin": sorted(LETTING_USES)}, **scope}
    return Worklist.of(Segment(houses(reads), query, rows, one_per_document=False))


async def house_logic_errors(reads: ReadModels, scope: dict, cursor: str | None, limit: int) -> dict[str, Any]:
    """One page of the errors, with the exact counts per division and rule of the whole list."""
    worklist = logic_error_list(reads, scope)
    total, per_division = await counts_per_division(worklist)
    return {"per_division": per_division, **await worklist.page(cursor, limit, total=total)}


def _covered_record(document: dict) -> dict[str, Any]:
    return {"house_id": document["_id"], "division_code": document.get("division_code"),
            "address_code": document.get("address_code")}


async def coverage(reads: ReadModels, scope: dict, fmt: str, cursor: str | None, limit: int, caller):
    """Houses not at a valid standard address (unknown, retired, merged)."""
    return await coverage_answer(houses(reads), scope, {"division_code": 1, "address_code": 1}, _covered_record,
                                 reads.read_model(addresses.name, addresses.name), fmt, cursor, limit, caller,
                                 "house-address-coverage")
