"""Queries over the unit registry: one unit, lookups (USCC, address, name), a person's employers (以业管人),
and the special-trades officer's lists (inspections due, rectifications overdue) against an ``as_of`` clock.

A unit is shown with what the rules derive from it at read time (overdue flags under the configured cycles,
its address's current full name from the replica), so a new cycle or a renamed road shows at once.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Mapping

from contracts import special_trades
from contracts.uscc import normalize
from services.kernel.web.paging import Segment, Worklist
from services.kernel.web.reads import public
from services.kernel.messaging.read_models import ReadModels
from services.replicas.addressed import AddressedRegistry, show_address_now
from services.unit.domain.supervision import expired_licences, inspections_due, overdue_rectifications
from services.unit.projections import UNITS, addresses, registry

#: the unit registry, read with the service's address replica
UNITS_AT = AddressedRegistry("unit", registry.name, UNITS, addresses.name)
units, address_replica, unit_document, address_states = (
    UNITS_AT.records, UNITS_AT.address_replica, UNITS_AT.document, UNITS_AT.address_states)


def present(document: dict[str, Any], cycles: Mapping[str, int], as_of: date,
            addresses_now: dict[str, dict] | None = None) -> dict[str, Any]:
    """The API shape of a unit: the record plus what the rules and the address registry say of it now."""
    unit = public(document, "unit_id")
    show_address_now(unit, addresses_now)
    for trade in unit.get("special_trades", []):
        known = special_trades.get(trade["trade"])
        trade["name"] = known.name if known else trade["trade"]
    unit["uscc_missing"] = not unit.get("uscc")
    unit["inspections_due"] = inspections_due(document, cycles, as_of)
    unit["rectifications_overdue"] = overdue_rectifications(document, as_of)
    unit["licences_expired"] = expired_licences(document, as_of)
    unit["current_employees"] = sum(1 for e in unit.get("employees", []) if not e.get("left"))
    return unit


async def present_many(reads: ReadModels, documents: list[dict[str, Any]], cycles: Mapping[str, int],
                       as_of: date) -> list[dict[str, Any]]:
    states = await address_states(reads, documents)
    return [present(document, cycles, as_of, states) for document in documents]


def unit_list(reads: ReadModels, query: dict, shape) -> Worklist:
    """Units matching ``query`` in id order, each shown by ``shape`` (a chunk of documents → one item each)."""
    async def rows(documents: list[dict]) -> list[list[dict[str, Any]]]:
        return [[item] for item in await shape(documents)]

    return Worklist.of(Segment(units(reads), query, rows))


async def lookup_query(reads: ReadModels, scope: dict, uscc: str | None = None, address_code: str | None = None,
                       name: str | None = None, without_uscc: bool = False) -> dict:
    """Units by USCC (normalised), address (a merged code finds its survivor's units and the survivor those of the
    plates merged into it), exact name, alias or former name, or those registered without a USCC; within ``scope``."""
    query: dict = dict(scope)
    if uscc:
        query["uscc"] = normalize(uscc)
    if without_uscc:
        query["uscc"] = None
    if address_code:
        query["address_code"] = await UNITS_AT.at_address(reads, address_code)
    if name:
        query["$or"] = [{"name": name}, {"aliases": name}, {"former_names.name": name}]  # 曾用名 still finds it
    return query


def employers_of(reads: ReadModels, person_id: str, scope: dict, current_only: bool) -> Worklist:
    """以业管人: the units the person works (or worked) for, one row per employment."""
    employee = {"person_id": person_id, "left": None} if current_only else {"person_id": person_id}

    def employments(document: dict) -> list[dict]:
        return [{"unit_id": document["_id"], "name": document["name"], "uscc": document.get("uscc"),
                 "status": document["status"], "division_code": document["division_code"], **employment}
                for employment in document["employees"]
                if employment["person_id"] == person_id and (not current_only or not employment["left"])]

    async def rows(documents: list[dict]) -> list[list[dict]]:
        return [employments(document) for document in documents]

    query = {"employees": {"$elemMatch": employee}, **scope}
    return Worklist.of(Segment(units(reads), query, rows, one_per_document=False))


def due_for_inspection(reads: ReadModels, cycles: Mapping[str, int], as_of: date, scope: dict,
                       trade: str | None) -> Worklist:
    """超期未检查的特种行业单位 as of ``as_of``: one row per overdue trade, in unit id order."""
    query: dict = {"status": "open", "special_trades.0": {"$exists": True}, **scope}
    if trade:
        query["special_trades.trade"] = trade

    async def rows(documents: list[dict]) -> list[list[dict]]:
        return [[{"unit_id": document["_id"], "name": document["name"], "division_code": document["division_code"],
                  "address_code": document["address_code"], **due}
                 for due in inspections_due(document, cycles, as_of) if trade is None or due["trade"] == trade]
                for document in documents]

    return Worklist.of(Segment(units(reads), query, rows, one_per_document=False))


def rectifications_overdue(reads: ReadModels, as_of: date, scope: dict) -> Worklist:
    """整改逾期: rectifications whose deadline passed before ``as_of`` unconfirmed, one row each, in unit id order."""
    query = {"inspections": {"$elemMatch": {"rectification_required": True, "rectified": {"$ne": True},
                                            "rectification_deadline": {"$lt": as_of.isoformat()}}}, **scope}

    async def rows(documents: list[dict]) -> list[list[dict]]:
        return [[{"unit_id": document["_id"], "name": document["name"], "division_code": document["division_code"],
                  **late} for late in overdue_rectifications(document, as_of)] for document in documents]

    return Worklist.of(Segment(units(reads), query, rows, one_per_document=False))
