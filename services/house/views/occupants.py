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

PERSON_FIELDS = ("name", "category", "status", "division_code", "moved_in", "residence_type")
LIMIT = 2000


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
    residents = await persons(reads).find({"address_code": house.get("address_code"), "status": "active"}).to_list(LIMIT)
    tenant_ids = [tenant["person_id"] for rental in house.get("rentals", []) for tenant in rental.get("tenants", [])]
    records = {document["_id"]: document
               for document in await persons(reads).find({"_id": {"$in": tenant_ids}}).to_list(LIMIT)}
    return occupants_of(house, residents, records)


async def address_occupants(reads: ReadModels, address_code: str, scope: dict) -> dict[str, Any]:
    """Everyone living at an address or under it (a door plate's rooms, a building's rooms): counts per address."""
    under = {"$regex": f"^{address_code}"}
    residents = await persons(reads).find({"address_code": under, "status": "active", **scope}).to_list(LIMIT)
    found = await houses(reads).find({"address_code": under, **scope}).to_list(LIMIT)
    per_address: dict[str, dict[str, Any]] = {}
    for document in residents:
        entry = per_address.setdefault(document["address_code"], {"address_code": document["address_code"],
                                                                  "residents": 0, "key_persons": 0, "house_id": None})
        entry["residents"] += 1
        entry["key_persons"] += int(is_key_person(document))
    for house in found:
        entry = per_address.setdefault(house["address_code"], {"address_code": house["address_code"], "residents": 0,
                                                               "key_persons": 0, "house_id": None})
        entry["house_id"] = house["_id"]
        entry["tenants"] = sum(1 for rental in house.get("rentals", []) if rental.get("status") == "active"
                               for tenant in rental.get("tenants", []) if tenant.get("moved_out") is None)
    return {"address_code": address_code, "residents": [_person(d, d["_id"]) for d in residents],
            "per_address": sorted(per_address.values(), key=lambda entry: entry["address_code"]),
            "key_person_present": any(is_key_person(d) for d in residents)}
