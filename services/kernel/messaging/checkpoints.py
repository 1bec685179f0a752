"""A projection's checkpoints (检查点): the last version applied per stream, and whether the stream is parked.

Written in the same transaction as the read model, so a duplicate (version <= checkpoint) is dropped and a gap
is never applied. A live consumer remembers the checkpoints of the streams it applied (a partition's streams
are its worker's alone), saving the checkpoint read of most batches; safe when stale (a redrive elsewhere, a
rebalance), because every checkpoint write is compare-and-set, so a stale entry aborts its batch instead of
applying twice. A rebuild owns its fresh generation alone: it keeps them in memory and writes them at the end.
"""

from __future__ import annotations

from typing import Any, Literal

from pymongo import InsertOne, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from services.kernel.messaging.writebuffer import WriteBuffer

State = dict[str, dict[str, Any]]  #: stream id → its checkpoint document (``version``, ``parked``)
Standing = Literal["duplicate", "parked", "gap", "next"]


def standing(checkpoint: dict[str, Any], version: int, redrive: bool = False) -> Standing:
    """Where an event stands against its stream's checkpoint, the one rule of the batch and the one-at-a-time
    path: ``duplicate`` (applied already: dropped), ``parked`` (its stream waits behind a dead letter, unless
    this is the redrive), ``gap`` (an earlier version is missing: never applied out of order) or ``next``."""
    last = checkpoint.get("version", 0)
    if version <= last:
        return "duplicate"
    if checkpoint.get("parked") and not redrive:
        return "parked"
    return "next" if version == last + 1 else "gap"


class Checkpoints:
    """One projection generation's checkpoints: in its collection, remembered, or (a rebuild) in memory only."""

    def __init__(self, collection: AsyncCollection) -> None:
        self.collection = collection
        self.memory: State | None = None  #: a rebuild's: the collection is written once, at the end
        self.cache: State = {}  #: the live consumer's remembered checkpoints

    async def version(self, stream_id: str) -> int:
        checkpoint = await self.collection.find_one({"_id": stream_id})
        return checkpoint.get("version", 0) if checkpoint else 0

    async def load(self, streams: list[str], session: AsyncClientSession, use_cache: bool = False) -> tuple[State, int]:
        """The streams' checkpoints (copies), and how many round trips that took."""
        if self.memory is not None:
            return {stream: dict(self.memory[stream]) for stream in streams if stream in self.memory}, 0
        state = {stream: dict(self.cache[stream]) for stream in streams if use_cache and stream in self.cache}
        missing = [stream for stream in streams if stream not in state]
        if not missing:
            return state, 0
        async for document in self.collection.find({"_id": {"$in": missing}}, session=session):
            state[document["_id"]] = document
        for stream in missing:
            state.setdefault(stream, {})
        return state, 1

    def queue(self, buffer: WriteBuffer, state: State, streams: set[str], before: dict[str, int]) -> None:
        """Compare-and-set: a checkpoint moves only from the version the batch started from. A write based on a
        stale checkpoint matches nothing, its upsert collides with the existing document, and the transaction
        aborts instead of applying an event twice. A stream whose checkpoint was read as not there (most streams
        of a load) gets an insert: it fails the same way when one was written since, and costs the server less."""
        if self.memory is not None:
            return
        for stream in streams:
            started = before.get(stream, 0)
            if not started and set(state[stream]) == {"version"}:  # read as missing: nothing but what we set
                buffer.add(self.collection, InsertOne({"_id": stream, "version": state[stream]["version"]}))
                continue
            expected = {"version": started} if started else {"version": {"$exists": False}}
            buffer.add(self.collection, UpdateOne({"_id": stream, **expected},
                                                  {"$set": {"version": state[stream]["version"]}}, upsert=True))

    def settled(self, state: State, touched: set[str]) -> None:
        """A committed batch: a rebuild keeps what it touched in memory, a live consumer remembers it all."""
        if self.memory is not None:
            self.memory.update({stream: state[stream] for stream in touched})
            return
        if len(self.cache) > 200_000:
            self.cache.clear()
        self.cache.update(state)

    def forget(self, streams: list[str] | None = None) -> None:
        """Drop remembered checkpoints (all of them after a rebalance: another consumer may have moved them)."""
        if streams is None:
            self.cache.clear()
        for stream in streams or []:
            self.cache.pop(stream, None)

    async def mark_parked(self, stream_id: str, session: AsyncClientSession | None) -> None:
        """The stream's later events wait behind its dead letter until a redrive releases it."""
        self.forget([stream_id])
        await self.collection.update_one({"_id": stream_id}, {"$set": {"parked": True}}, upsert=True, session=session)
        if self.memory is not None:
            self.memory.setdefault(stream_id, {})["parked"] = True

    async def release(self, stream_id: str, session: AsyncClientSession) -> None:
        await self.collection.update_one({"_id": stream_id}, {"$unset": {"parked": ""}}, session=session)

    async def write_memory(self) -> None:
        """End of a rebuild: the in-memory checkpoints become the generation's checkpoints, in bulk."""
        if not self.memory:
            return
        operations = [UpdateOne({"_id": stream}, {"$set": state}, upsert=True) for stream, state in self.memory.items()]
        for start in range(0, len(operations), 5000):
            await self.collection.bulk_write(operations[start:start + 5000], ordered=False)
