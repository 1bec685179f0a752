"""逻辑错误 and address coverage of houses: from the house registry and the house service's address replica.

A house let (or with tenants) while its use says it is not let (``house.let_not_rented``,
``house.tenant_not_rented``: the house domain's own rule) is listed per division with the rentals involved;
it clears when the use is changed or the rental ends, because the registry shows the house as it is now.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from contracts.house import LETTING_USES
from services.house.domain.house import current_tenants, logic_errors
from services.house.projections import HOUSES, addresses, registry
from services.kernel.coverage import address_coverage
from services.kernel.runtime import Runtime


def houses(rt: Runtime):
    return rt.read_model(registry.name, HOUSES)


async def house_logic_errors(rt: Runtime, scope: dict, limit: int) -> dict[str, Any]:
    query = {"rentals.status": "active", "use": {"$nin": sorted(LETTING_USES)}, **scope}
    items = []
    async for document in houses(rt).find(query).limit(limit):
        state = {key: value for key, value in document.items() if not key.startswith("_")}
        for error in logic_errors(state):
            items.append({"rule": error["type"], "msg_zh": error["msg_zh"], "house_id": document["_id"],
                          "address_code": document.get("address_code"), "division_code": document.get("division_code"),
                          "use": document.get("use"),
                          "rentals": [{"rental_id": rental["rental_id"], "lessor": rental.get("lessor"),
                                       "tenants": [t["person_id"] for t in current_tenants(rental)]}
                                      for rental in document.get("rentals", []) if rental.get("status") == "active"]})
    counts = Counter((item["division_code"], item["rule"]) for item in items)
    per_division: dict[str, dict[str, int]] = {}
    for (division, rule), count in sorted(counts.items()):
        per_division.setdefault(division, {})[rule] = count
    return {"items": items, "per_division": per_division}


async def coverage(rt: Runtime, scope: dict, limit: int) -> dict[str, Any]:
    async def records():
        async for document in houses(rt).find(scope, {"division_code": 1, "address_code": 1}):
            yield {"house_id": document["_id"], "division_code": document.get("division_code"),
                   "address_code": document.get("address_code")}

    return await address_coverage(records(), rt.read_model(addresses.name, addresses.name), limit)
