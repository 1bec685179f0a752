"""Write-side uniqueness claims: the reservation pattern for set-based rules across streams.

An event store guards one stream; "one road of this name per division" spans many. A claim is a document
whose ``_id`` is the unique key, inserted before the owning stream is created: the unique ``_id`` makes
concurrent claimants race safely, and the loser learns who owns the key.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError


async def claim(db: AsyncDatabase, key: str, owner: str) -> str:
    """Claim ``key`` for ``owner``; returns the owner that holds it (ours, or the earlier claimant's)."""
    try:
        await db["claims"].insert_one({"_id": key, "owner": owner, "at": datetime.now(timezone.utc)})
        return owner
    except DuplicateKeyError:
        existing = await db["claims"].find_one({"_id": key})
        return existing["owner"]


async def release(db: AsyncDatabase, key: str, owner: str) -> None:
    await db["claims"].delete_one({"_id": key, "owner": owner})


async def release_if_stale(db: AsyncDatabase, key: str, owner: str, older_than_seconds: float) -> bool:
    """Drop a claim its holder never completed (the process died between claiming and registering)."""
    cutoff = datetime.now(timezone.utc) - timedelta(seconds=older_than_seconds)
    result = await db["claims"].delete_one({"_id": key, "owner": owner, "at": {"$lt": cutoff}})
    return result.deleted_count == 1


async def owner_of(db: AsyncDatabase, key: str) -> str | None:
    existing = await db["claims"].find_one({"_id": key})
    return existing["owner"] if existing else None
