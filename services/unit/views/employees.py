"""以业管人: a unit's current and past employees with where they live, joined at read time from the unit
registry (employment, in the unit's stream order) and the person replica (residences, in each person's stream
order): each side converges on its own, so the join does whatever the interleaving."""

from __future__ import annotations

from typing import Any

from services.replicas.address import address_states
from services.replicas.person import PERSONS, is_key_person
from services.kernel.messaging.runtime import Runtime
from services.unit.persons import UNIT_PERSONS
from services.unit.projections import addresses

LIMIT = 5000


def employees_of(unit: dict, records: dict[str, dict]) -> dict[str, list[dict[str, Any]]]:
    """Every employment of the unit with the person's record and residence (pure)."""
    current, past = [], []
    for employment in unit.get("employees", []):
        record = records.get(employment["person_id"]) or {}
        # the person's own division: an employee registered in another jurisdiction is shown masked, without
        # residence or key-person status (services.kernel.base.masking judges each record by its division_code)
        entry = {**employment, "name": record.get("name"), "division_code": record.get("division_code"),
                 "category": record.get("category"),
                 "person_status": record.get("status"), "key_person": is_key_person(record),
                 "residence": ({"address_code": record["address_code"], "since": record.get("moved_in"),
                                "residence_type": record.get("residence_type")} if record.get("address_code") else None)}
        (past if employment.get("left") else current).append(entry)
    return {"current": current, "past": past}


async def with_residences(rt: Runtime, unit: dict) -> dict[str, list[dict[str, Any]]]:
    ids = list({employment["person_id"] for employment in unit.get("employees", [])})
    records = {document["_id"]: document for document in
               await rt.read_model(UNIT_PERSONS, PERSONS).find({"_id": {"$in": ids}}).to_list(LIMIT)}
    shaped = employees_of(unit, records)
    codes = [entry["residence"]["address_code"] for group in shaped.values() for entry in group if entry["residence"]]
    names = await address_states(rt.read_model(addresses.name, addresses.name), codes) if codes else {}
    for group in shaped.values():
        for entry in group:
            if entry["residence"]:
                entry["residence"]["full_name"] = (names.get(entry["residence"]["address_code"]) or {}).get("full_name")
    return shaped
