"""逻辑错误 and address coverage of persons, from the person service's own read models.

Stored with each person's 查人知住 document (recomputed by every writer, so a later event that fixes it clears
it): ``person.identity_mismatch`` (sex or birth date contradicting the ID number, from legacy imports) and
``unit.employee_cancelled`` (a cancelled person still employed). Judged when read: ``person.migrant_expired``
(a migrant's registration past its date, as of a day) and ``person.resident_at_retired_address`` (the current
residence's address retired, from the address replica).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from services.replicas.coverage import coverage_answer
from services.kernel.web.paging import Rows, Segment, Worklist, counts_per_division, one_each
from services.kernel.messaging.read_models import ReadModels
from services.person.addresses import replica
from services.person.whereabouts import WHEREABOUTS

STORED = ("person.identity_mismatch", "unit.employee_cancelled")
JUDGED = ("person.migrant_expired", "person.resident_at_retired_address")
RULES = STORED + JUDGED


def _item(rule: str, document: dict, **records: Any) -> dict[str, Any]:
    person = document.get("person") or {}
    return {"rule": rule, "person_id": document["_id"], "name": person.get("name"),
            "division_code": person.get("division_code"), **records}


def _stored(rule: str) -> Rows:
    async def rows(documents: list[dict]) -> list[list[dict[str, Any]]]:
        return [[_item(rule, document, **{k: v for k, v in error.items() if k != "rule"})
                 for error in document["logic_errors"] if error["rule"] == rule] for document in documents]
    return rows


async def logic_error_list(reads: ReadModels, scope: dict, rules: tuple[str, ...], as_of: date) -> Worklist:
    """The errors of ``rules`` inside ``scope`` (a filter on ``person.division_code``), rule after rule, with the
    records involved. Every retired address code is read (a city retires few; no cap)."""
    documents, addresses = reads.read_model(WHEREABOUTS, "whereabouts"), replica(reads)
    segments = []
    for rule in rules:
        if rule in STORED:
            segments.append(Segment(documents, {"logic_errors.rule": rule, **scope}, _stored(rule),
                                    one_per_document=False))
        elif rule == "person.migrant_expired":
            query = {"person.category": "migrant", "person.status": "active",
                     "person.registration_valid_until": {"$lt": as_of.isoformat(), "$ne": None}, **scope}
            segments.append(Segment(documents, query, one_each(lambda document: _item(
                "person.migrant_expired", document,
                registration_valid_until=document["person"]["registration_valid_until"]))))
        else:
            retired = [doc["_id"] async for doc in addresses.find({"status": "retired"}, {"_id": 1})]
            query = {"person.current_address_code": {"$in": retired}, "person.status": "active", **scope}
            segments.append(Segment(documents, query, one_each(lambda document: _item(
                "person.resident_at_retired_address", document,
                address_code=document["person"]["current_address_code"]))))
    return Worklist.of(*segments)


async def logic_errors(reads: ReadModels, scope: dict, rules: tuple[str, ...], as_of: date, cursor: str | None,
                       limit: int) -> dict[str, Any]:
    """One page of the errors, with the exact counts per division and rule of the whole list."""
    worklist = await logic_error_list(reads, scope, rules, as_of)
    total, per_division = await counts_per_division(worklist)
    return {"as_of": as_of.isoformat(), "per_division": per_division,
            **await worklist.page(cursor, limit, total=total)}


COVERAGE_QUERY = {"person.status": "active", "person.current_address_code": {"$ne": None}}
COVERAGE_FIELDS = {"person.division_code": 1, "person.current_address_code": 1}


def _covered_record(document: dict) -> dict[str, Any]:
    return {"person_id": document["_id"], "division_code": document["person"].get("division_code"),
            "address_code": document["person"]["current_address_code"]}


async def coverage(reads: ReadModels, scope: dict, fmt: str, cursor: str | None, limit: int, caller):
    """Active persons whose current residence is not at a valid standard address (unknown, retired, merged)."""
    return await coverage_answer(reads.read_model(WHEREABOUTS, "whereabouts"), {**COVERAGE_QUERY, **scope},
                                 COVERAGE_FIELDS, _covered_record, replica(reads), fmt, cursor,
                                 limit, caller, "person-address-coverage")
