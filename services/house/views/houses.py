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
from services.kernel.web.paging import Segment, Worklist
from services.kernel.web.reads import public
from services.kernel.messaging.read_models import ReadModels
from services.replicas.addressed import AddressedRegistry, show_address_now

#: the house registry, read with the service's address replica
HOUSES_AT = AddressedRegistry("house", registry.name, HOUSES, addresses.name)
houses, address_replica, house_document, address_states = (
    HOUSES_AT.records, HOUSES_AT.address_replica, HOUSES_AT.document, HOUSES_AT.address_states)


def present(document: dict[str, Any], rule: GroupRentalRule, addresses_now: dict[str, dict] | None = None
            ) -> dict[str, Any]:
    """The API shape of a house: the record plus what the rules and the address registry say of it now."""
    house = public(document, "house_id")
    house.setdefault("status", "active")  # in use (在用), until HouseDemolished says demolished (拆除/灭失)
    address = show_address_now(house, addresses_now)
    errors = logic_errors(document)
    if address is not None and address["status"] == "retired":
        errors.append({"type": "house.address_retired", "msg": "the house's standard address is retired",
                       "msg_zh": "房屋所在标准地址已注销"})
    flags = rule.flags(document)
    for rental in house.get("rentals", []):
        rental["group_rental"] = flags.get(rental["rental_id"], [])
        rental["current_tenants"] = sum(1 for t in rental.get("tenants", []) if not t.get("moved_out"))
    house["group_rental"] = bool(flags)
    house["logic_errors"] = errors
    return house


async def present_many(reads: ReadModels, documents: list[dict[str, Any]], rule: GroupRentalRule) -> list[dict[str, Any]]:
    states = await address_states(reads, documents)
    return [present(document, rule, states) for document in documents]


async def house_query(reads: ReadModels, scope: dict, address_code: str | None = None, tenant: str | None = None,
                      current_only: bool = True) -> dict:
    """Houses at ``address_code`` (a merged address: at its survivor, where the house now counts), or where
    ``tenant`` rents (now, or ever: 查人知住), or every house, inside ``scope``."""
    if address_code:
        return {"address_code": await HOUSES_AT.at_address(reads, address_code), **scope}
    if tenant:
        match = {"person_id": tenant, "moved_out": None} if current_only else {"person_id": tenant}
        return {"rentals": {"$elemMatch": {"tenants": {"$elemMatch": match}}}, **scope}
    return dict(scope)


def house_list(reads: ReadModels, query: dict, rule: GroupRentalRule) -> Worklist:
    """Houses matching ``query`` in id order, shown as :func:`present` shows them."""
    async def rows(documents: list[dict]) -> list[list[dict[str, Any]]]:
        return [[house] for house in await present_many(reads, documents, rule)]

    return Worklist.of(Segment(houses(reads), query, rows))


def _unchecked_rows(document: dict[str, Any], as_of: date) -> list[dict[str, Any]]:
    last_checked = max((c["checked_on"] for c in document.get("checks", [])), default=None)
    return [{"house_id": document["_id"], "address_code": document["address_code"],
             "address_name": document.get("address_name"), "division_code": document["division_code"],
             "rental_id": rental["rental_id"], "start": rental["start"], "status": rental["status"],
             "security_person": rental["security_person"], "last_checked_on": last_checked}
            for rental in unchecked_rentals(document, as_of)]


def unchecked_this_month(reads: ReadModels, as_of: date, scope: dict) -> Worklist:
    """本月未检查的出租房屋 as of ``as_of``: one row per rental, with its house and address, in house id order."""
    first, day = month_start(as_of).isoformat(), as_of.isoformat()
    query = {"rentals": {"$elemMatch": {"start": {"$lte": day},
                                        "$or": [{"status": "active"}, {"ended_on": {"$gte": first}}]}},
             "checks": {"$not": {"$elemMatch": {"checked_on": {"$gte": first, "$lte": day}}}}, **scope}

    async def rows(documents: list[dict]) -> list[list[dict[str, Any]]]:
        return [_unchecked_rows(document, as_of) for document in documents]

    return Worklist.of(Segment(houses(reads), query, rows, one_per_document=False))


def group_rentals(reads: ReadModels, rule: GroupRentalRule, scope: dict) -> Worklist:
    """群租 under the configured rule: houses with an active rental the rule flags, in house id order."""
    async def rows(documents: list[dict]) -> list[list[dict[str, Any]]]:
        flagged = [document for document in documents if rule.flags(document)]
        shown = {house["house_id"]: house for house in await present_many(reads, flagged, rule)}
        return [[shown[document["_id"]]] if document["_id"] in shown else [] for document in documents]

    return Worklist.of(Segment(houses(reads), {"rentals.status": "active", **scope}, rows, one_per_document=False))
