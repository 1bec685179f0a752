"""Write-side uniqueness claims: the reservation pattern for set-based rules across streams.

An event store guards one stream; "one road of this name per division" or "one person per ID number" spans
many. A claim is a document whose ``_id`` is the unique key, taken before the owning stream is written: the
unique ``_id`` makes concurrent claimants race safely, and the loser learns who owns the key.

The protocol (ClaimProtocol below; the application layer, services.kernel.eventsourcing.application, uses it):
1. take the key with a token only this request holds (codes may be deterministic, so two racing requests
   would otherwise both believe they won);
2. write the stream; on any failure release the token's claim (a refused command never keeps a claim);
3. re-key the claim from the token to the new record's id;
4. a token left behind by a crashed request is released after ``STALE_CLAIM_SECONDS``.
A record that changes its key (rename, renumber) takes the new key first and releases the old one only after
its event is stored; a retired record releases its keys.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Awaitable, Callable, Sequence, TypeVar

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.kernel.base.errors import ClaimInProgress
from services.kernel.eventsourcing.ports import ClaimsPort

A = TypeVar("A")
R = TypeVar("R")

PENDING = "pending:"  #: owner prefix while the claimant is still registering
STALE_CLAIM_SECONDS = 30.0


class MongoClaims:
    """Claims in one context's database (collection ``claims``)."""

    def __init__(self, db: AsyncDatabase, collection: str = "claims") -> None:
        self.claims = db[collection]

    async def take(self, key: str, owner: str) -> str:
        try:
            await self.claims.insert_one({"_id": key, "owner": owner, "at": datetime.now(timezone.utc)})
            return owner
        except DuplicateKeyError:
            existing = await self.claims.find_one({"_id": key})
            if existing is None:  # released between our insert and read: try once more
                return await self.take(key, owner)
            return existing["owner"]

    async def take_many(self, keys: Sequence[str], owner: str) -> dict[str, str]:
        """Claim every key for ``owner`` in one round trip (an initial load); each key's holder now."""
        if not keys:
            return {}
        now = datetime.now(timezone.utc)
        lost: list[str] = []
        try:
            await self.claims.insert_many([{"_id": key, "owner": owner, "at": now} for key in keys], ordered=False)
        except BulkWriteError as error:
            if error.details.get("writeConcernErrors") or any(
                    item.get("code") != 11000 for item in error.details.get("writeErrors", [])):
                raise
            lost = [keys[item["index"]] for item in error.details["writeErrors"]]
        holders = {key: owner for key in keys}
        if lost:
            found = {doc["_id"]: doc["owner"] async for doc in self.claims.find({"_id": {"$in": lost}})}
            for key in lost:  # released between our insert and read: take it alone
                holders[key] = found[key] if key in found else await self.take(key, owner)
        return holders

    async def rekey_many(self, changes: Sequence[tuple[str, str]], from_owner: str) -> None:
        """Hand each (key, new owner) from ``from_owner`` in one round trip."""
        if changes:
            await self.claims.bulk_write([UpdateOne({"_id": key, "owner": from_owner}, {"$set": {"owner": to_owner}})
                                          for key, to_owner in changes], ordered=False)

    async def release_many(self, keys: Sequence[str], owner: str) -> None:
        if keys:
            await self.claims.delete_many({"_id": {"$in": list(keys)}, "owner": owner})

    async def rekey(self, key: str, from_owner: str, to_owner: str) -> bool:
        result = await self.claims.update_one({"_id": key, "owner": from_owner}, {"$set": {"owner": to_owner}})
        return result.matched_count == 1

    async def release(self, key: str, owner: str) -> None:
        await self.claims.delete_one({"_id": key, "owner": owner})

    async def release_all(self, owner: str, prefix: str = "") -> int:
        query: dict = {"owner": owner}
        if prefix:
            query["_id"] = {"$regex": "^" + re.escape(prefix)}
        result = await self.claims.delete_many(query)
        return result.deleted_count

    async def release_if_stale(self, key: str, owner: str, older_than_seconds: float) -> bool:
        cutoff = datetime.now(timezone.utc) - timedelta(seconds=older_than_seconds)
        result = await self.claims.delete_one({"_id": key, "owner": owner, "at": {"$lt": cutoff}})
        return result.deleted_count == 1

    async def owner_of(self, key: str) -> str | None:
        existing = await self.claims.find_one({"_id": key})
        return existing["owner"] if existing else None


class ClaimProtocol:
    """The whole claim protocol over a claims store (take with a request token, register, re-key; release on any
    failure; wait out a concurrent claimant; release a dead one's claim after ``STALE_CLAIM_SECONDS``; move a key)."""

    def __init__(self, claims: ClaimsPort) -> None:
        self.claims = claims

    async def register_claimed(self, key: str, register: Callable[[], Awaitable[A]], owner_id: Callable[[A], str],
                               duplicate: Callable[[str], Exception]) -> A:
        """Hold ``key`` while ``register`` writes the new stream, then hand the key to the new record.

        The claim is taken with a token only this request holds (ids may be deterministic, so two racing
        requests would otherwise both believe they won). A refused or failed registration releases it.
        ``duplicate(owner)`` is the error raised when the key is held by a registered record.
        """
        holder = await self.settled_owner(key)
        if holder is not None:
            raise duplicate(holder)
        token = f"{PENDING}{uuid.uuid4()}"
        winner = await self.claims.take(key, token)
        if winner != token:
            raise duplicate(await self.settled_owner(key) or winner)
        try:
            aggregate = await register()
        except BaseException:
            await self.claims.release(key, token)
            raise
        await self.claims.rekey(key, token, owner_id(aggregate))
        return aggregate

    async def settled_owner(self, key: str, timeout_seconds: float = 3.0) -> str | None:
        """The id holding ``key``, waiting out a concurrent request that is still registering it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_seconds
        while True:
            owner = await self.claims.owner_of(key)
            if owner is None or not owner.startswith(PENDING):
                return owner
            if loop.time() > deadline:
                # a claimant that has not finished within STALE_CLAIM_SECONDS died mid-registration
                released = await self.claims.release_if_stale(key, owner, STALE_CLAIM_SECONDS)
                if not released:
                    raise ClaimInProgress(key)  # a pending token is nobody's id: 503, never a code or a duplicate
                return None
            await asyncio.sleep(0.02)

    async def move_key(self, old_key: str | None, new_key: str, owner: str, write: Callable[[], Awaitable[R]],
                       duplicate: Callable[[str], Exception], allow_duplicate: bool = False) -> R:
        """A record changes its unique key (rename, renumber): take the new key, write, then free the old one.

        If the write is refused (a retired record, a stale version, a rule) the new key is released again,
        so a refused command never keeps a claim.
        """
        if new_key == old_key:
            return await write()
        holder = await self.claims.take(new_key, owner)
        took = holder == owner
        if not took and not allow_duplicate:
            settled = await self.settled_owner(new_key)
            if settled is None and await self.claims.take(new_key, owner) == owner:
                took = True
            else:
                raise duplicate(settled or holder)
        try:
            result = await write()
        except BaseException:
            if took:
                await self.claims.release(new_key, owner)
            raise
        if old_key is not None:
            await self.claims.release(old_key, owner)
        return result
