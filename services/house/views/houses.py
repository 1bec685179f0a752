"""Queries over the house registry: one house, houses at an address or of a tenant, and supervisors' lists.

A house is shown with what the rules derive from it at read time — group-rental flags under the configured
rule, logic errors, and its address's *current* full name from the address replica (renamed roads) — so a
change of rule or a rename shows at once without rewriting the registry.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from services.house.domain.house import logic_errors
from services.house.domain.supervision import GroupRentalRule, month_start, unchecked_rentals
from services.house.projections import HOUSES, addresses, registry
from services.kernel.errors import NotFound
from services.kernel.reads import public
from services.kernel.replicas.address import full_names, lookup_address
from services.kernel.runtime import Runtime


def houses(rt: Runtime):
    return rt.read_model(registry.name, HOUSES)


def address_replica(rt: Runtime):
    return rt.read_model(addresses.name, addresses.name)


async def house_document(rt: Runtime, house_id: str) -> dict[str, Any]:
    document = await houses(rt).find_one({"_id": house_id})
    if document is None:
        raise NotFound("house", house_id)
    return document


async def current_names(rt: Runtime, codes: list[str]) -> dict[str, str]:
    """code → the address's current full name, where the replica knows one (renamed roads show at once)."""
    return await full_names(address_replica(rt), codes)


def present(document: dict[str, Any], rule: GroupRentalRule, names: dict[str, str] | None = None) -> dict[str, Any]:
    """The API shape of a house: the record plus what the rules derive from it."""
    house = public(document, "house_id")
    if names and house.get("address_code") in names:
        house["address_name"] = names[house["address_code"]]
    flags = rule.flags(document)
    for rental in house.get("rentals", []):
        rental["group_rental"] = flags.get(rental["rental_id"], [])
        rental["current_tenants"] = sum(1 for t in rental.get("tenants", []) if not t.get("moved_out"))
    house["group_rental"] = bool(flags)
    house["logic_errors"] = logic_errors(document)
    return house


async def present_many(rt: Runtime, documents: list[dict[str, Any]], rule: GroupRentalRule) -> list[dict[str, Any]]:
    names = await current_names(rt, [d["address_code"] for d in documents if d.get("address_code")])
    return [present(document, rule, names) for document in documents]


async def at_address(rt: Runtime, code: str, scope: dict, rule: GroupRentalRule) -> list[dict[str, Any]]:
    """Houses at ``code`` — or, for a merged address, at its survivor (where the house now counts)."""
    codes = {code}
    address = await lookup_address(address_replica(rt), code)
    if address is not None:
        codes.add(address.code)
    documents = await houses(rt).find({"address_code": {"$in": sorted(codes)}, **scope}).to_list(100)
    return await present_many(rt, documents, rule)


async def of_tenant(rt: Runtime, person_id: str, scope: dict, rule: GroupRentalRule, current_only: bool,
                    limit: int) -> list[dict[str, Any]]:
    """查人知住: houses where the person rents (now, or ever)."""
    tenant = {"person_id": person_id, "moved_out": None} if current_only else {"person_id": person_id}
    query = {"rentals": {"$elemMatch": {"tenants": {"$elemMatch": tenant}}}, **scope}
    return await present_many(rt, await houses(rt).find(query).limit(limit).to_list(limit), rule)


async def unchecked_this_month(rt: Runtime, as_of: date, scope: dict, limit: int) -> list[dict[str, Any]]:
    """本月未检查的出租房屋 as of ``as_of``: one row per rental, with its house and address."""
    first, day = month_start(as_of).isoformat(), as_of.isoformat()
    query = {"rentals": {"$elemMatch": {"start": {"$lte": day},
                                        "$or": [{"status": "active"}, {"ended_on": {"$gte": first}}]}},
             "checks": {"$not": {"$elemMatch": {"checked_on": {"$gte": first, "$lte": day}}}}, **scope}
    rows = []
    async for document in houses(rt).find(query).sort("_id", 1):
        for rental in unchecked_rentals(document, as_of):
            rows.append({"house_id": document["_id"], "address_code": document["address_code"],
                         "address_name": document.get("address_name"), "division_code": document["division_code"],
                         "rental_id": rental["rental_id"], "start": rental["start"], "status": rental["status"],
                         "security_person": rental["security_person"],
                         "last_checked_on": max((c["checked_on"] for c in document.get("checks", [])), default=None)})
            if len(rows) >= limit:
                return rows
    return rows


async def group_rentals(rt: Runtime, rule: GroupRentalRule, scope: dict, limit: int) -> list[dict[str, Any]]:
    """群租 under the configured rule: houses with an active rental the rule flags."""
    found = []
    async for document in houses(rt).find({"rentals.status": "active", **scope}).sort("_id", 1):
        if rule.flags(document):
            found.append(document)
            if len(found) >= limit:
                break
    return await present_many(rt, found, rule)
