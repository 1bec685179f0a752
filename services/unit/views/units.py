"""Queries over the unit registry: one unit, lookups (USCC, address, name), a person's employers (以业管人),
and the special-trades officer's lists (inspections due, rectifications overdue) against an ``as_of`` clock.

A unit is shown with what the rules derive from it at read time (overdue flags under the configured cycles,
its address's current full name from the replica), so a new cycle or a renamed road shows at once.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Mapping

from contracts import special_trades
from services.kernel.errors import NotFound
from services.kernel.reads import public
from services.kernel.replicas.address import full_names
from services.kernel.runtime import Runtime
from services.unit.domain.supervision import expired_licences, inspections_due, overdue_rectifications
from services.unit.projections import UNITS, addresses, registry


def units(rt: Runtime):
    return rt.read_model(registry.name, UNITS)


def address_replica(rt: Runtime):
    return rt.read_model(addresses.name, addresses.name)


async def unit_document(rt: Runtime, unit_id: str) -> dict[str, Any]:
    document = await units(rt).find_one({"_id": unit_id})
    if document is None:
        raise NotFound("unit", unit_id)
    return document


async def current_names(rt: Runtime, codes: list[str]) -> dict[str, str]:
    """code → the address's current full name, where the replica knows one (renamed roads show at once)."""
    return await full_names(address_replica(rt), codes)


def present(document: dict[str, Any], cycles: Mapping[str, int], as_of: date,
            names: dict[str, str] | None = None) -> dict[str, Any]:
    unit = public(document, "unit_id")
    if names and unit.get("address_code") in names:
        unit["address_name"] = names[unit["address_code"]]
    for trade in unit.get("special_trades", []):
        known = special_trades.get(trade["trade"])
        trade["name"] = known.name if known else trade["trade"]
    unit["uscc_missing"] = not unit.get("uscc")
    unit["inspections_due"] = inspections_due(document, cycles, as_of)
    unit["rectifications_overdue"] = overdue_rectifications(document, as_of)
    unit["licences_expired"] = expired_licences(document, as_of)
    unit["current_employees"] = sum(1 for e in unit.get("employees", []) if not e.get("left"))
    return unit


async def present_many(rt: Runtime, documents: list[dict[str, Any]], cycles: Mapping[str, int],
                       as_of: date) -> list[dict[str, Any]]:
    names = await current_names(rt, [d["address_code"] for d in documents if d.get("address_code")])
    return [present(document, cycles, as_of, names) for document in documents]


async def find_units(rt: Runtime, query: dict, limit: int) -> list[dict[str, Any]]:
    return await units(rt).find(query).sort("_id", 1).limit(limit).to_list(limit)


async def employers_of(rt: Runtime, person_id: str, scope: dict, current_only: bool, limit: int) -> list[dict]:
    """以业管人: the units the person works (or worked) for, with the employment."""
    employee = {"person_id": person_id, "left": None} if current_only else {"person_id": person_id}
    rows = []
    for document in await find_units(rt, {"employees": {"$elemMatch": employee}, **scope}, limit):
        for employment in document["employees"]:
            if employment["person_id"] == person_id and (not current_only or not employment["left"]):
                rows.append({"unit_id": document["_id"], "name": document["name"], "uscc": document.get("uscc"),
                             "status": document["status"], "division_code": document["division_code"],
                             **employment})
    return rows


async def due_for_inspection(rt: Runtime, cycles: Mapping[str, int], as_of: date, scope: dict, trade: str | None,
                             limit: int) -> list[dict]:
    """超期未检查的特种行业单位 as of ``as_of``."""
    query: dict = {"status": "open", "special_trades.0": {"$exists": True}, **scope}
    if trade:
        query["special_trades.trade"] = trade
    rows = []
    async for document in units(rt).find(query).sort("_id", 1):
        for due in inspections_due(document, cycles, as_of):
            if trade is None or due["trade"] == trade:
                rows.append({"unit_id": document["_id"], "name": document["name"],
                             "division_code": document["division_code"], "address_code": document["address_code"],
                             **due})
        if len(rows) >= limit:
            return rows[:limit]
    return rows


async def rectifications_overdue(rt: Runtime, as_of: date, scope: dict, limit: int) -> list[dict]:
    """整改逾期: units with a rectification whose deadline passed before ``as_of`` unconfirmed."""
    query = {"inspections": {"$elemMatch": {"rectification_required": True, "rectified": {"$ne": True},
                                            "rectification_deadline": {"$lt": as_of.isoformat()}}}, **scope}
    rows = []
    async for document in units(rt).find(query).sort("_id", 1):
        for late in overdue_rectifications(document, as_of):
            rows.append({"unit_id": document["_id"], "name": document["name"],
                         "division_code": document["division_code"], **late})
        if len(rows) >= limit:
            return rows[:limit]
    return rows
