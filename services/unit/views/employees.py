"""以业管人: a unit's current and past employees with where they live, joined at read time from the unit
registry (employment, in the unit's stream order) and the person replica (residences, in each person's stream
order): each side converges on its own, so the join does whatever the interleaving. Paged like every worklist
(services.kernel.web.paging): a page's persons are read in one query, so a unit of any size has no cap."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from services.replicas.address import address_states
from services.replicas.person import PERSONS, is_key_person
from services.kernel.messaging.read_models import ReadModels
from services.kernel.web.paging import CHUNK, Listed, Worklist
from services.unit.persons import UNIT_PERSONS
from services.unit.projections import addresses



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


class Employments(Listed):
    """A unit's employments (current or past) as a worklist segment: each chunk joined with its persons'
    records and residences when read, so a unit of any size is walked page by page (no cap on the join)."""

    def __init__(self, items: list[dict], join: Callable[[list[dict]], Awaitable[list[dict]]]) -> None:
        super().__init__(items, "employment_no")
        object.__setattr__(self, "join", join)

    async def rows(self, documents: list[dict]) -> list[list[dict]]:
        return [[entry] for entry in await self.join(documents)]


def numbered(unit: dict) -> list[dict[str, Any]]:
    """Every employment in the unit's stream order, numbered (hiring again is a new employment: the number,
    not the person, is unique)."""
    return [{**employment, "employment_no": f"{index:07d}"}
            for index, employment in enumerate(unit.get("employees", []), start=1)]


def employee_list(reads: ReadModels, unit: dict) -> Worklist:
    """以业管人 as a worklist: the current employees, then the past ones, each in stream order."""
    employments = numbered(unit)

    async def join(chunk: list[dict]) -> list[dict]:
        shaped = await with_residences(reads, {"employees": chunk})
        by_number = {entry["employment_no"]: entry for group in shaped.values() for entry in group}
        return [by_number[employment["employment_no"]] for employment in chunk]

    return Worklist.of(Employments([e for e in employments if not e.get("left")], join),
                       Employments([e for e in employments if e.get("left")], join))


async def with_residences(reads: ReadModels, unit: dict) -> dict[str, list[dict[str, Any]]]:
    """The unit's employments joined with their persons' records and residences, a chunk of ids at a time."""
    ids = list({employment["person_id"] for employment in unit.get("employees", [])})
    records: dict[str, dict] = {}
    for start in range(0, len(ids), CHUNK):
        async for document in reads.read_model(UNIT_PERSONS, PERSONS).find({"_id": {"$in": ids[start:start + CHUNK]}}):
            records[document["_id"]] = document
    shaped = employees_of(unit, records)
    codes = [entry["residence"]["address_code"] for group in shaped.values() for entry in group if entry["residence"]]
    names = await address_states(reads.read_model(addresses.name, addresses.name), codes) if codes else {}
    for group in shaped.values():
        for entry in group:
            if entry["residence"]:
                entry["residence"]["full_name"] = (names.get(entry["residence"]["address_code"]) or {}).get("full_name")
    return shaped
