"""Events applied in batches (批量应用): what one poll returns goes into ONE MongoDB transaction with the
projection's checkpoints.

Checkpoints are read once for the batch's streams, the documents handlers will read by id are fetched ahead
(Projection.prefetch), handlers run in order with their writes queued and sent as one bulk write per collection
(a read flushes first, so a handler sees the batch's earlier writes), and checkpoints are written once. A
batch is capped by count, bytes and time, well inside the server's transaction lifetime. Anything unusual (a
handler error, a gap, a parked stream) aborts it; the runner then replays the same records one at a time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Sequence

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from contracts.envelope import EventEnvelope
from services.kernel.base.logging import get_logger
from services.kernel.base.metrics import PROJECTION_OUTCOMES
from services.kernel.messaging.checkpoints import Checkpoints, State, standing
from services.kernel.messaging.decoding import Undecodable, decode
from services.kernel.messaging.failures import BatchFallback
from services.kernel.messaging.projection import Projection, ProjectionTx, cached_collection, physical_name
from services.kernel.messaging.writebuffer import WriteBuffer

log = get_logger(__name__)

Run = list[tuple[Any, EventEnvelope]]  #: consumer records with their decoded envelopes, in order


@dataclass(frozen=True)
class BatchLimits:
    """How much one transaction may take: far inside SecantusDB's cache and its 10 s transaction lifetime."""

    max_events: int = 500
    max_bytes: int = 4 * 1024 * 1024
    max_seconds: float = 2.0


def take_run(records: Sequence[Any], max_events: int, max_bytes: int, large: set[str]) -> tuple[Run, Any]:
    """The prefix of ``records`` one transaction applies, or (when the first record must go on its own: it is
    undecodable, or a ``large`` event) an empty run and that record."""
    run: Run = []
    size = 0
    for record in records[:max_events]:
        try:
            envelope = decode(record.value)
        except Undecodable:
            envelope = None
        if envelope is None or envelope.event_type in large:
            return (run, None) if run else ([], record)
        size += len(record.value or b"")
        if run and size > max_bytes:
            break
        run.append((record, envelope))
    return run, None


class Batches:
    """Applies runs of one projection generation, each in one transaction; counts its round trips."""

    def __init__(self, projection: Projection, client: AsyncMongoClient, db: AsyncDatabase, generation: int,
                 checkpoints: Checkpoints, limits: BatchLimits) -> None:
        self.projection = projection
        self.client = client
        self.db = db
        self.generation = generation
        self.checkpoints = checkpoints
        self.limits = limits
        self.round_trips = 0

    async def apply(self, run: Run) -> int:
        """Apply ``run`` (or, past the time cap, a prefix of it) in one transaction; returns how many it settled."""
        streams = list({envelope.stream_id for _, envelope in run})
        outcomes = {"applied": 0, "duplicate": 0}
        deadline = time.perf_counter() + self.limits.max_seconds
        try:
            settled, state, touched = await self._in_transaction(run, streams, outcomes, deadline)
        except BaseException:
            self.checkpoints.forget(streams)
            raise
        self.checkpoints.settled(state, touched)
        for outcome, count in outcomes.items():
            if count:
                PROJECTION_OUTCOMES.labels(self.projection.name, outcome).inc(count)
        return settled

    async def _in_transaction(self, run: Run, streams: list[str], outcomes: dict[str, int],
                              deadline: float) -> tuple[int, State, set[str]]:
        settled = 0
        applied: Run = []
        touched: set[str] = set()
        async with self.client.start_session() as session:
            async with await session.start_transaction():
                buffer = WriteBuffer(session)
                state, trips = await self.checkpoints.load(streams, session, use_cache=True)
                trips += await self._read_ahead(run, buffer, session)
                before = {stream: checkpoint.get("version", 0) for stream, checkpoint in state.items()}
                for record, envelope in run:
                    if settled and time.perf_counter() > deadline:
                        break  # the rest waits for the next transaction
                    checkpoint = state.setdefault(envelope.stream_id, {})
                    settled += 1
                    where = standing(checkpoint, envelope.version)
                    if where == "duplicate":
                        outcomes["duplicate"] += 1
                        continue
                    if where != "next":
                        raise BatchFallback(f"{envelope.stream_id} v{envelope.version}: {where}")
                    await self.projection.apply(ProjectionTx(envelope, session, self.db, self.generation, buffer,
                                                             getattr(record, "partition", None)))
                    checkpoint["version"] = envelope.version
                    touched.add(envelope.stream_id)
                    outcomes["applied"] += 1
                    applied.append((record, envelope))
                self.checkpoints.queue(buffer, state, touched, before)
                trips += await buffer.flush()
                self.round_trips += trips + 1  # + the commit
        for record, envelope in applied if self.checkpoints.memory is None else ():  # live, committed: one line each
            log.info("event applied", event_type=envelope.event_type, version=envelope.version,
                     event_id=str(envelope.event_id), stream_id=envelope.stream_id,
                     correlation_id=envelope.correlation_id, projection=self.projection.name,
                     topic=record.topic, partition=record.partition, offset=record.offset)
        return settled, state, touched

    async def _read_ahead(self, run: Run, buffer: WriteBuffer, session: AsyncClientSession) -> int:
        """The documents the projection's handlers will read by id (Projection.prefetch), one query per
        collection however many prefetches name it."""
        wanted: dict[str, dict[Any, None]] = {}
        for logical_name, document_id in self.projection.prefetches:
            ids = wanted.setdefault(logical_name, {})
            for _, envelope in run:
                ids.update(dict.fromkeys(prefetched_ids(document_id(envelope))))
        trips = 0
        for logical_name, ids in wanted.items():
            if ids:
                collection = cached_collection(self.db, physical_name(logical_name, self.generation))
                keys = list(ids)
                found = {doc["_id"]: doc async for doc in collection.find({"_id": {"$in": keys}}, session=session)}
                buffer.read_ahead(collection.name, {key: found.get(key) for key in keys}, collection.codec_options)
                trips += 1
        return trips


def prefetched_ids(key: Any) -> list[Any]:
    """What a prefetch function answered: one id, None (none) or several (a list, tuple or set)."""
    if key is None:
        return []
    if isinstance(key, (list, tuple, set, frozenset)):
        return [item for item in key if item is not None]
    return [key]
