"""Which generation of each read model is live. A rebuild fills generation n+1, then flips this pointer."""

from __future__ import annotations

from datetime import datetime, timezone

from pymongo.asynchronous.database import AsyncDatabase

GENERATIONS = "projection_generations"


async def active_generation(db: AsyncDatabase, projection: str) -> int:
    document = await db[GENERATIONS].find_one({"_id": projection})
    return document["generation"] if document else 1


async def swap_generation(db: AsyncDatabase, projection: str, generation: int, previous: int) -> None:
    await db[GENERATIONS].update_one(
        {"_id": projection},
        {"$set": {"generation": generation, "previous": previous, "swapped_at": datetime.now(timezone.utc)}},
        upsert=True,
    )
