"""逻辑错误 and address coverage of persons, from the person service's own read models.

Stored with each person's 查人知住 document (recomputed by every writer, so a later event that fixes it clears
it): ``person.identity_mismatch`` (sex or birth date contradicting the ID number, from legacy imports) and
``unit.employee_cancelled`` (a cancelled person still employed). Judged when read: ``person.migrant_expired``
(a migrant's registration past its date, as of a day) and ``person.resident_at_retired_address`` (the current
residence's address retired, from the address replica).
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from services.kernel.coverage import address_coverage
from services.kernel.runtime import Runtime
from services.person.projections import ADDRESSES
from services.person.whereabouts import WHEREABOUTS

STORED = ("person.identity_mismatch", "unit.employee_cancelled")
JUDGED = ("person.migrant_expired", "person.resident_at_retired_address")
RULES = STORED + JUDGED
MAX_RETIRED_CODES = 5000


def _item(rule: str, document: dict, **records: Any) -> dict[str, Any]:
    person = document.get("person") or {}
    return {"rule": rule, "person_id": document["_id"], "name": person.get("name"),
            "division_code": person.get("division_code"), **records}


async def logic_errors(rt: Runtime, scope: dict, rules: tuple[str, ...], as_of: date, limit: int) -> dict[str, Any]:
    """The errors of ``rules`` inside ``scope`` (a filter on ``person.division_code``), with the records involved
    and counts per division and rule."""
    documents, replica = rt.read_model(WHEREABOUTS, "whereabouts"), rt.read_model(ADDRESSES, ADDRESSES)
    items: list[dict[str, Any]] = []
    for rule in rules:
        if rule in STORED:
            async for document in documents.find({"logic_errors.rule": rule, **scope}).limit(limit):
                for error in document["logic_errors"]:
                    if error["rule"] == rule:
                        items.append(_item(rule, document, **{k: v for k, v in error.items() if k != "rule"}))
        elif rule == "person.migrant_expired":
            query = {"person.category": "migrant", "person.status": "active",
                     "person.registration_valid_until": {"$lt": as_of.isoformat(), "$ne": None}, **scope}
            async for document in documents.find(query).limit(limit):
                items.append(_item(rule, document, registration_valid_until=document["person"][
                    "registration_valid_until"]))
        else:
            retired = [doc["_id"] async for doc in replica.find({"status": "retired"}, {"_id": 1}).limit(
                MAX_RETIRED_CODES)]
            query = {"person.current_address_code": {"$in": retired}, "person.status": "active", **scope}
            async for document in documents.find(query).limit(limit):
                items.append(_item(rule, document, address_code=document["person"]["current_address_code"]))
    counts = Counter((item["division_code"], item["rule"]) for item in items)
    per_division: dict[str, dict[str, int]] = {}
    for (division, rule), count in sorted(counts.items(), key=lambda pair: (pair[0][0] or "", pair[0][1])):
        per_division.setdefault(division or "unknown", {})[rule] = count
    return {"as_of": as_of.isoformat(), "items": items[:limit], "per_division": per_division}


async def coverage(rt: Runtime, scope: dict, limit: int) -> dict[str, Any]:
    """Active persons whose current residence is not at a valid standard address (unknown, retired, merged)."""
    documents = rt.read_model(WHEREABOUTS, "whereabouts")

    async def records():
        query = {"person.status": "active", "person.current_address_code": {"$ne": None}, **scope}
        async for document in documents.find(query, {"person.division_code": 1, "person.current_address_code": 1}):
            yield {"person_id": document["_id"], "division_code": document["person"].get("division_code"),
                   "address_code": document["person"]["current_address_code"]}

    return await address_coverage(records(), rt.read_model(ADDRESSES, ADDRESSES), limit)
