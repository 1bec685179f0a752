"""Address coverage (地址覆盖): records not linked to a valid standard address, per division.

Every registry answers it for its own records (persons' current residences, houses, units) against its own
address replica: an address unknown to the registry of addresses (never registered, or not arrived yet), retired,
or merged into another (the record still names the old code).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, AsyncIterable

from services.kernel.replicas.address import address_states

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
