"""Address coverage (地址覆盖): records not linked to a valid standard address, per division.

Every registry answers it for its own records (persons' current residences, houses, units) against its own
address replica: an address unknown to the registry of addresses (never registered, or not arrived yet), retired,
or merged into another (the record still names the old code).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, AsyncIterable, Callable

from services.kernel.web.exports import export
from services.kernel.web.masked_responses import viewer_for
from services.kernel.web.paging import Segment, Worklist
from services.replicas.address import address_states

BATCH = 1000


def problem_of(state: dict | None) -> str | None:
    if state is None:
        return "unknown"
    if state.get("status") == "retired":
        return "retired"
    if state.get("redirect_to") or state.get("status") == "merged":
        return "merged"
    return None


async def address_coverage(records: AsyncIterable[dict[str, Any]], replica, limit: int = 100) -> dict[str, Any]:
    """``records`` yield {"id", "division_code", "address_code"}: counts per division and problem, and the first
    ``limit`` records with their problem."""
    per_division: dict[str, dict[str, int]] = defaultdict(lambda: {"checked": 0, "unknown": 0, "retired": 0,
                                                                   "merged": 0})
    items: list[dict[str, Any]] = []
    batch: list[dict[str, Any]] = []

    async def settle() -> None:
        states = await address_states(replica, [record["address_code"] for record in batch])
        for record in batch:
            counts = per_division[record.get("division_code") or "unknown"]
            counts["checked"] += 1
            problem = problem_of(states.get(record["address_code"]))
            if problem:
                counts[problem] += 1
                if len(items) < limit:
                    items.append({**record, "problem": problem})
        batch.clear()

    async for record in records:
        batch.append(record)
        if len(batch) >= BATCH:
            await settle()
    if batch:
        await settle()
    return {"per_division": dict(sorted(per_division.items())), "items": items,
            "uncovered": sum(c["unknown"] + c["retired"] + c["merged"] for c in per_division.values())}


def uncovered_list(collection, query: dict, projection: dict, record: Callable[[dict], dict[str, Any]],
                   replica) -> Worklist:
    """The records of ``collection`` matching ``query`` whose address is not a valid standard address, in id
    order, each with its ``problem`` (``record``: a document → {"<kind>_id", "division_code", "address_code"})."""
    async def rows(documents: list[dict]) -> list[list[dict[str, Any]]]:
        records = [record(document) for document in documents]
        states = await address_states(replica, [r["address_code"] for r in records if r.get("address_code")])
        return [[{**r, "problem": problem}] if (problem := problem_of(states.get(r["address_code"]))) else []
                for r in records]

    return Worklist.of(Segment(collection, query, rows, projection=projection, one_per_document=False))


async def coverage_answer(collection, query: dict, projection: dict, record: Callable[[dict], dict[str, Any]],
                          replica, fmt: str, cursor: str | None, limit: int, caller, filename: str):
    """A coverage route's answer: one page of the uncovered records with the counts per division and problem of
    every checked record (and the exact total), or the whole list as a file."""
    worklist = uncovered_list(collection, query, projection, record, replica)
    if fmt != "json":
        return await export(worklist, fmt, viewer_for(caller), filename)

    async def records():
        async for document in collection.find(query, projection):
            yield record(document)

    summary = await address_coverage(records(), replica, 0)
    return {"per_division": summary["per_division"], "uncovered": summary["uncovered"],
            **await worklist.page(cursor, limit, total=summary["uncovered"])}
