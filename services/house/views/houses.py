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
from services.kernel.replicas.address import address_states as replica_states
from services.kernel.replicas.address import same_address_codes
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


async def address_states(rt: Runtime, documents: list[dict[str, Any]]) -> dict[str, dict]:
    """What the address replica says now about the houses' addresses (renamed, merged, retired)."""
    return await replica_states(address_replica(rt), [d["address_code"] for d in documents if d.get("address_code")])


def present(document: dict[str, Any], rule: GroupRentalRule, addresses_now: dict[str, dict] | None = None
            ) -> dict[str, Any]:
    """The API shape of a house: the record plus what the rules and the address registry say of it now."""
    house = public(document, "house_id")
    address = (addresses_now or {}).get(house.get("address_code"))
    errors = logic_errors(document)
    if address is not None:
        house["address_name"] = address["full_name"] or house.get("address_name")
        house["address_status"] = address["status"]
        if address["redirect_to"]:
            house["address_redirected_to"] = address["redirect_to"]  # 重复门牌合并: the survivor now answers for it
        if address["status"] == "retired":
            errors.append({"type": "house.address_retired", "msg": "the house's standard address is retired",
                           "msg_zh": "房屋所在标准地址已注销"})
    flags = rule.flags(document)
    for rental in house.get("rentals", []):
        rental["group_rental"] = flags.get(rental["rental_id"], [])
        rental["current_tenants"] = sum(1 for t in rental.get("tenants", []) if not t.get("moved_out"))
    house["group_rental"] = bool(flags)
    house["logic_errors"] = errors
    return house


async def present_many(rt: Runtime, documents: list[dict[str, Any]], rule: GroupRentalRule) -> list[dict[str, Any]]:
    states = await address_states(rt, documents)
    return [present(document, rule, states) for document in documents]


async def at_address(rt: Runtime, code: str, scope: dict, rule: GroupRentalRule) -> list[dict[str, Any]]:
    """Houses at ``code`` — or, for a merged address, at its survivor (where the house now counts)."""
    codes = await same_address_codes(address_replica(rt), code)
    documents = await houses(rt).find({"address_code": {"$in": codes}, **scope}).to_list(100)
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
