"""Published monthly reports (已发布的通报): a closed month's report is stored once and read back as stored.

One document per (month, division), written the first time a closed month is asked for (or when the next
month needs it as its "last month"), never updated: the first writer wins a race, and a later correction
to the month is not written here but shown in the next month's report (model.corrections).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError


COLLECTION = "monthly_reports"
#: what the next month needs of this one's figures (the collectors and notes stay in the report only)
KEPT = ("division_code", "name", "as_of", "accuracy", "by_sub_division")


def key(month: str, scope: str | None) -> str:
    return f"{month}|{scope or '*'}"


def kept_figures(figures: dict[str, Any]) -> dict[str, Any]:
    """The figures without the per-collector table: numbers per division are what a correction compares."""
    return {name: value for name, value in figures.items() if name in KEPT or isinstance(value, (int, float))}


async def published(collection: AsyncCollection, month: str, scope: str | None) -> dict[str, Any] | None:
    return await collection.find_one({"_id": key(month, scope)})


async def publish(collection: AsyncCollection, month: str, scope: str | None, report: dict[str, Any],
                  figures: dict[str, Any], at: datetime) -> dict[str, Any]:
    """Store the month's report once; answer what is stored (another request's, if it got there first)."""
    document = {"_id": key(month, scope), "month": month, "division_code": scope, "frozen_at": at,
                "report": {**report, "frozen_at": at.isoformat()}, "figures": kept_figures(figures)}
    try:
        await collection.insert_one(document)
    except DuplicateKeyError:
        return await published(collection, month, scope) or document
    return document


async def rechecked(collection: AsyncCollection, month: str, scope: str | None, now: datetime,
                    max_age: timedelta | None, figures: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    """A published month's figures as they stand now, recomputed unless a recheck younger than ``max_age`` is kept
    (a document of its own beside the published one, which is never touched)."""
    key_of = key(month, scope) + "|recheck"
    if max_age is not None:
        kept = await collection.find_one({"_id": key_of})
        if kept is not None and now - kept["at"] < max_age:
            return kept["figures"]
    current = kept_figures(await figures())
    await collection.replace_one({"_id": key_of}, {"at": now, "figures": current}, upsert=True)
    return current
