"""以房管人: who lives in a house, at a door plate, building or address.

Joined at read time from two read models of this service, each order-tolerant on its own: the house registry
(the house, its rentals and tenants, the security responsible person) and the person replica (residences,
categories, key-person records). So a tenant recorded before the house's registration reached this service, or
a move that lands between two reads, shows as soon as both facts are there, in any order.
"""

from __future__ import annotations

from typing import Any

from services.house.occupants import OCCUPANTS
from services.house.projections import HOUSES, registry
from services.replicas.person import PERSONS, is_key_person
from services.kernel.messaging.read_models import ReadModels
from services.kernel.web.paging import PAGE_DEFAULT, Segment, Worklist, one_each

PERSON_FIELDS = ("name", "category", "status", "division_code", "moved_in", "residence_type")


def persons(reads: ReadModels):
    return reads.read_model(OCCUPANTS, PERSONS)


def houses(reads: ReadModels):
    return reads.read_model(registry.name, HOUSES)


def _person(document: dict | None, person_id: str) -> dict[str, Any]:
    document = document or {}
    return {"person_id": person_id, **{key: document.get(key) for key in PERSON_FIELDS},
            "address_code": document.get("address_code"), "key_person": is_key_person(document),
            "known": bool(document.get("name"))}


def occupants_of(house: dict, residents: list[dict], tenant_records: dict[str, dict]) -> dict[str, Any]:
    """The 以房管人 answer for one house (pure): residents by category, current tenants, responsible persons."""
    shown = [_person(document, document["_id"]) for document in residents]
    by_category: dict[str, int] = {}
    for resident in shown:
        by_category[resident["category"] or "unknown"] = by_category.get(resident["category"] or "unknown", 0) + 1
    active = [rental for rental in house.get("rentals", []) if rental.get("status") == "active"]
    tenants = []
    for rental in active:
        for tenant in rental.get("tenants", []):
            if tenant.get("moved_out") is None:
                tenants.append({**_person(tenant_records.get(tenant["person_id"]), tenant["person_id"]),
                                "rental_id": rental.get("rental_id"), "tenant_since": tenant.get("moved_in")})
    return {
        "house_id": house["_id"], "address_code": house.get("address_code"), "address_name": house.get("address_name"),
        "division_code": house.get("division_code"), "use": house.get("use"),
        "residents": sorted(shown, key=lambda r: r["person_id"]), "residents_by_category": by_category,
        "tenants": sorted(tenants, key=lambda t: (t["rental_id"] or "", t["person_id"])),
        "rentals": [{key: rental.get(key) for key in ("rental_id", "lessor", "lessor_role", "start", "end")}
                    for rental in active],
        "security_persons": [rental.get("security_person") for rental in active if rental.get("security_person")],
        "owner": house.get("owner"),
        "key_person_present": any(p["key_person"] for p in [*shown, *tenants]),
    }


async def house_occupants(reads: ReadModels, house: dict) -> dict[str, Any]:
    """One house: everyone whose residence is its address and its tenants (one address, so read whole)."""
    residents = await persons(reads).find({"address_code": house.get("address_code"), "status": "active"}).to_list(None)
    tenant_ids = [tenant["person_id"] for rental in house.get("rentals", []) for tenant in rental.get("tenants", [])]
    records = {document["_id"]: document
               for document in await persons(reads).find({"_id": {"$in": tenant_ids}}).to_list(None)}
    return occupants_of(house, residents, records)


async def address_occupants(reads: ReadModels, address_code: str, scope: dict, cursor: str | None = None,
                            limit: int = PAGE_DEFAULT) -> dict[str, Any]:
    """Everyone living at an address or under it (a door plate's rooms, a building's rooms): one page of the
    residents (``{total, items, next_cursor}``, a compound may house thousands) and, over all of them, the counts
    per address and whether a key person lives there."""
    under = {"$regex": f"^{address_code}"}
    living = {"address_code": under, "status": "active", **scope}
    per_address: dict[str, dict[str, Any]] = {}

    def entry(code: str) -> dict[str, Any]:
        return per_address.setdefault(code, {"address_code": code, "residents": 0, "key_persons": 0, "house_id": None})

    key_person_present = False
    async for document in persons(reads).find(living, {"address_code": 1, "key_persons": 1}):
        counted = entry(document["address_code"])
        counted["residents"] += 1
        counted["key_persons"] += int(is_key_person(document))
        key_person_present = key_person_present or is_key_person(document)
    async for house in houses(reads).find({"address_code": under, **scope}, {"address_code": 1, "rentals": 1}):
        counted = entry(house["address_code"])
        counted["house_id"] = house["_id"]
        counted["tenants"] = sum(1 for rental in house.get("rentals", []) if rental.get("status") == "active"
                                 for tenant in rental.get("tenants", []) if tenant.get("moved_out") is None)
    summary = {"address_code": address_code, "key_person_present": key_person_present,
               "per_address": sorted(per_address.values(), key=lambda counted: counted["address_code"])}
    residents = Segment(persons(reads), living, one_each(lambda document: _person(document, document["_id"])))
    return await Worklist((residents,), extra=summary).page(cursor, limit)
