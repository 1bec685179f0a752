"""A TTL index kept at a configured age: created once, then changed in place (``collMod``) when the setting
changes, since creating the same index again with another ``expireAfterSeconds`` is refused."""

from __future__ import annotations

from pymongo.asynchronous.collection import AsyncCollection

from services.kernel.base.logging import get_logger

log = get_logger(__name__)


async def ensure_ttl(collection: AsyncCollection, field: str, name: str, seconds: int) -> int:
    """Documents whose ``field`` (a date) is older than ``seconds`` are removed by the server; returns ``seconds``.
    A document without the field (an outbox entry not yet published) is never removed."""
    current = (await collection.index_information()).get(name, {}).get("expireAfterSeconds")
    if current == seconds:
        return seconds
    if current is None:
        await collection.create_index([(field, 1)], name=name, expireAfterSeconds=seconds)
    else:
        await collection.database.command({"collMod": collection.name,
                                           "index": {"name": name, "expireAfterSeconds": seconds}})
    log.info("retention set", collection=collection.name, index=name, seconds=seconds, was=current)
    return seconds
