"""Atomic per-key counters in MongoDB, for human-readable codes that must never repeat."""

from __future__ import annotations

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase


async def next_value(db: AsyncDatabase, key: str, count: int = 1) -> int:
    """Reserve ``count`` values for ``key``; returns the first. Gaps after a failed command are harmless."""
    document = await db["sequences"].find_one_and_update(
        {"_id": key}, {"$inc": {"value": count}}, upsert=True, return_document=ReturnDocument.AFTER
    )
    return document["value"] - count + 1
