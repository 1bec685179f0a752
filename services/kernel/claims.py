"""Write-side uniqueness claims: the reservation pattern for set-based rules across streams.

An event store guards one stream; "one road of this name per division" or "one person per ID number" spans
many. A claim is a document whose ``_id`` is the unique key, taken before the owning stream is written: the
unique ``_id`` makes concurrent claimants race safely, and the loser learns who owns the key.

The protocol (used by services.kernel.application):
1. take the key with a token only this request holds (codes may be deterministic, so two racing requests
   would otherwise both believe they won);
2. write the stream; on any failure release the token's claim (a refused command never keeps a claim);
3. re-key the claim from the token to the new record's id;
4. a token left behind by a crashed request is released after ``STALE_CLAIM_SECONDS``.
A record that changes its key (rename, renumber) takes the new key first and releases the old one only after
its event is stored; a retired record releases its keys.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

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
