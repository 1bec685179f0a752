"""Sweeps of the house service (院不漏房、房不漏人): what a collector still has to register, per jurisdiction.

Each list is read from this service's own read models, fed by events: the address replica (door plates), the
house registry (houses, rentals, tenants) and the person replica (who lives where). Items are judged when read
(a plate is on the list while no house stands at it), so a gap filled drops off the list as soon as the event
that fills it reaches the read model. Every item carries ``next_step`` (下一步), what the collector does next.
"""

from __future__ import annotations

from typing import Any

from services.house.views.houses import address_replica, houses
from services.house.views.occupants import persons
from services.kernel.messaging.read_models import ReadModels
from services.kernel.web.paging import Segment, Worklist

STANDING = {"status": {"$ne": "demolished"}}  # a demolished house (拆除/灭失) no longer fills a plate
NO_CURRENT_TENANT = {"tenants": {"$not": {"$elemMatch": {"moved_out": None}}}}


def _house_item(document: dict, next_step: str, **more: Any) -> dict[str, Any]:
    return {"house_id": document["_id"], "address_code": document.get("address_code"),
            "address_name": document.get("address_name"), "division_code": document.get("division_code"),
            "use": document.get("use"), **more, "next_step": next_step}


def plates_without_house(reads: ReadModels, scope: dict) -> Worklist:
    """门牌无房: door plates in use with no standing house at the plate or, where rooms were generated
    (生成层户), at any of its rooms."""
    async def rows(plates: list[dict]) -> list[list[dict[str, Any]]]:
        codes = [plate["_id"] for plate in plates]
        roomed = [plate["_id"] for plate in plates if plate.get("has_rooms")]
        where: list[dict] = [{"address_code": {"$in": codes}}]
        # a room's code starts with its door plate's: a key range per plate (the server takes no regex alternation)
        where += [{"address_code": {"$gt": code, "$lt": code + "\uffff"}} for code in roomed]
        found = await houses(reads).find({"$or": where, **STANDING}, {"address_code": 1}).to_list(None)
        housed = {house["address_code"] for house in found}

        def covered(plate: dict) -> bool:
            return plate["_id"] in housed or (plate.get("has_rooms") and any(
                code.startswith(plate["_id"]) for code in housed))

        return [[] if covered(plate) else [{
            "address_code": plate["_id"], "address_name": plate.get("full_name"),
            "division_code": plate.get("division_code"), "has_rooms": bool(plate.get("has_rooms")),
            "next_step": "按房间登记房屋" if plate.get("has_rooms") else "登记房屋"}] for plate in plates]

    query = {"kind": "doorplate", "status": "in_use", **scope}
    return Worklist.of(Segment(address_replica(reads), query, rows, one_per_document=False))


def houses_without_residents(reads: ReadModels, scope: dict) -> Worklist:
    """房内无人: standing houses with no active rental and no one whose current residence is the house's address."""
    async def rows(documents: list[dict]) -> list[list[dict[str, Any]]]:
        codes = [document.get("address_code") for document in documents]
        lived_in = set(await persons(reads).distinct("address_code", {"address_code": {"$in": codes},
                                                                      "status": "active"}))
        return [[] if document.get("address_code") in lived_in else [_house_item(document, "核实是否空置")]
                for document in documents]

    query = {**STANDING, "rentals": {"$not": {"$elemMatch": {"status": "active"}}}, **scope}
    return Worklist.of(Segment(houses(reads), query, rows, one_per_document=False))


def rentals_without_tenants(reads: ReadModels, scope: dict) -> Worklist:
    """出租无人: active rentals with no current tenant, one row per rental."""
    async def rows(documents: list[dict]) -> list[list[dict[str, Any]]]:
        return [[_house_item(document, "登记承租人", rental_id=rental["rental_id"], start=rental.get("start"),
                             lessor=rental.get("lessor"))
                 for rental in document.get("rentals", [])
                 if rental.get("status") == "active" and all(t.get("moved_out") for t in rental.get("tenants", []))]
                for document in documents]

    query = {"rentals": {"$elemMatch": {"status": "active", **NO_CURRENT_TENANT}}, **scope}
    return Worklist.of(Segment(houses(reads), query, rows, one_per_document=False))


def residents_at_plates_with_rooms(reads: ReadModels, scope: dict) -> Worklist:
    """人在门牌未到房: persons whose current residence is a door plate whose building has rooms (生成层户), so the
    residence should name the room; one row per person, listed under the plate's division."""
    async def rows(plates: list[dict]) -> list[list[dict[str, Any]]]:
        found = await persons(reads).find(
            {"address_code": {"$in": [plate["_id"] for plate in plates]}, "status": "active"},
            {"name": 1, "category": 1, "address_code": 1, "moved_in": 1}).to_list(None)
        by_plate: dict[str, list[dict]] = {}
        for person in sorted(found, key=lambda p: p["_id"]):
            by_plate.setdefault(person["address_code"], []).append(person)
        return [[{"person_id": person["_id"], "name": person.get("name"), "category": person.get("category"),
                  "moved_in": person.get("moved_in"), "address_code": plate["_id"],
                  "address_name": plate.get("full_name"), "division_code": plate.get("division_code"),
                  "next_step": "选择房间更正居住地址"} for person in by_plate.get(plate["_id"], [])]
                for plate in plates]

    query = {"kind": "doorplate", "status": "in_use", "has_rooms": True, **scope}
    return Worklist.of(Segment(address_replica(reads), query, rows, one_per_document=False))
