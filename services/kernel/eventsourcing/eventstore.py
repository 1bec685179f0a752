"""Append-only event store on MongoDB with an expected-version check.

The unique index (stream_id, version) is what makes "two writers, exactly one wins" true even across
processes. Each stored event also carries ``published: false`` until the outbox relay has handed it to
Kafka, so storing the event and queueing it for publication are one atomic write (the outbox pattern
without a second collection).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from datetime import datetime, timezone
from typing import Any, Callable, Sequence

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from contracts.envelope import EventEnvelope
from contracts.events import upcast
from services.kernel.base.errors import ConcurrencyConflict
from services.kernel.eventsourcing.ports import check_versions
from services.kernel.base.metrics import APPEND_CONFLICTS, EVENTS_APPENDED

EVENTS = "events"
KNOWN_VERSIONS = 50_000  # streams whose version this process has seen, so an append need not read it again


def envelope_to_document(envelope: EventEnvelope) -> dict[str, Any]:
    document = envelope.model_dump(mode="python")
    document["_id"] = str(document.pop("event_id"))
    document["actor"]["channel"] = str(document["actor"]["channel"])
    document["published"] = False
    return document


def document_to_envelope(document: dict[str, Any], upcast_payload: bool = True) -> EventEnvelope:
    """Rebuild the envelope, upcasting the payload to the newest schema version when reading. The relay passes
    ``upcast_payload=False``: it publishes the stored event as stored, so the Kafka log and the store agree and
    every reader upcasts the same way."""
    document = dict(document)
    document["event_id"] = document.pop("_id")
    document.pop("published", None)
    document.pop("published_at", None)
    for key in ("occurred_at", "recorded_at"):
        value = document[key]
        if isinstance(value, datetime) and value.tzinfo is None:
            document[key] = value.replace(tzinfo=timezone.utc)
    if upcast_payload:
        version, payload = upcast(document["event_type"], document["schema_version"], document["payload"])
        document["schema_version"], document["payload"] = version, payload
    return EventEnvelope.model_validate(document)


class EventStore:
    """One context's event store: ``append`` guarded by expected version, ``read_stream`` in order."""

    def __init__(self, client: AsyncMongoClient, database: AsyncDatabase, collection: str = EVENTS) -> None:
        self.client = client
        self.db = database
        self.events = database[collection]
        self._append_listeners: list[Callable[[], None]] = []
        # Versions only grow, so "stream S has reached version v" stays true once seen (by a read or an append).
        # An append expecting exactly a version seen here cannot write a gap, and the unique index alone decides
        # a race: the version read is skipped for the usual load-then-save of an aggregate.
        self._known: OrderedDict[str, int] = OrderedDict()
        self._group = GroupCommit(self.events)

    def on_append(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every successful append (the relay uses it to wake up at once)."""
        self._append_listeners.append(listener)

    async def ensure_indexes(self) -> None:
        await self.events.create_index(
            [("stream_id", ASCENDING), ("version", ASCENDING)], unique=True, name="stream_version"
        )
        await self.events.create_index([("published", ASCENDING), ("_id", ASCENDING)], name="outbox")

    async def current_version(self, stream_id: str) -> int:
        last = await self.events.find_one(
            {"stream_id": stream_id}, sort=[("version", -1)], projection={"version": 1}
        )
        return last["version"] if last else 0

    async def append(self, stream_id: str, expected_version: int, envelopes: Sequence[EventEnvelope]) -> int:
        """Store ``envelopes`` (versions expected+1, expected+2, ...) or raise ConcurrencyConflict."""
        if not envelopes:
            return expected_version
        check_versions(stream_id, expected_version, envelopes)
        if expected_version > 0 and self._known.get(stream_id, 0) < expected_version:
            if await self.current_version(stream_id) != expected_version:
                await self._conflict(stream_id, expected_version, envelopes[0].stream_type)
        documents = [envelope_to_document(envelope) for envelope in envelopes]
        try:
            if len(documents) == 1:
                await self._group.insert(documents[0])
            else:
                async with self.client.start_session() as session:
                    async with await session.start_transaction():
                        await self.events.insert_many(documents, ordered=True, session=session)
        except (DuplicateKeyError, BulkWriteError) as error:
            if isinstance(error, BulkWriteError) and not _is_duplicate(error):
                raise
            await self._conflict(stream_id, expected_version, envelopes[0].stream_type)
        except OperationFailure as error:
            # Inside a transaction a concurrent writer of the same (stream, version) surfaces as a
            # WriteConflict (112, TransientTransactionError) rather than a duplicate key: same meaning.
            if error.code != 112 and not error.has_error_label("TransientTransactionError"):
                raise
            await self._conflict(stream_id, expected_version, envelopes[0].stream_type)
        self._remember(stream_id, envelopes[-1].version)
        EVENTS_APPENDED.labels(envelopes[0].stream_type).inc(len(envelopes))
        for listener in self._append_listeners:
            listener()
        return envelopes[-1].version

    async def append_many(self, appends: Sequence[tuple[str, int, Sequence[EventEnvelope]]],
                          chunk: int = 1000) -> list[int | Exception]:
        """Many streams' appends in one unordered ``insert_many`` per ``chunk`` (an initial load: one round trip
        for a thousand new records, not a thousand). Each append stands or falls alone: its new last version or
        its ConcurrencyConflict. Only single-event appends whose expected version is known are sent together;
        the rest (several events to one stream, an unknown expected version) go through ``append``, so no gap
        or half-written stream can come of a partly failed bulk insert. A failure of the whole command raises."""
        results: list[int | Exception] = [0] * len(appends)
        together: list[int] = []
        for index, (stream_id, expected, envelopes) in enumerate(appends):
            alone = len(envelopes) != 1 or (expected > 0 and self._known.get(stream_id, 0) < expected)
            if alone or envelopes[0].stream_id != stream_id or envelopes[0].version != expected + 1:
                try:
                    results[index] = await self.append(stream_id, expected, envelopes)
                except ConcurrencyConflict as conflict:
                    results[index] = conflict
            else:
                together.append(index)
        for low in range(0, len(together), chunk):
            part = together[low:low + chunk]
            failed: dict[int, dict] = {}
            try:
                await self.events.insert_many([envelope_to_document(appends[i][2][0]) for i in part], ordered=False)
            except BulkWriteError as error:
                if error.details.get("writeConcernErrors") or not all(
                        item.get("code") == 11000 for item in error.details.get("writeErrors", [])):
                    raise
                failed = {item["index"]: item for item in error.details["writeErrors"]}
            for position, index in enumerate(part):
                stream_id, expected, envelopes = appends[index]
                if position in failed:
                    APPEND_CONFLICTS.labels(envelopes[0].stream_type).inc()
                    current = await self.current_version(stream_id)
                    self._remember(stream_id, current)
                    results[index] = ConcurrencyConflict(stream_id, expected, current)
                else:
                    self._remember(stream_id, expected + 1)
                    EVENTS_APPENDED.labels(envelopes[0].stream_type).inc()
                    results[index] = expected + 1
        if together:
            for listener in self._append_listeners:
                listener()
        return results

    def _remember(self, stream_id: str, version: int) -> None:
        if version <= 0:
            return
        self._known[stream_id] = max(version, self._known.get(stream_id, 0))
        self._known.move_to_end(stream_id)
        if len(self._known) > KNOWN_VERSIONS:
            self._known.popitem(last=False)

    async def _conflict(self, stream_id: str, expected_version: int, stream_type: str) -> None:
        APPEND_CONFLICTS.labels(stream_type).inc()
        current = await self.current_version(stream_id)
        self._remember(stream_id, current)
        raise ConcurrencyConflict(stream_id, expected_version, current)

    async def read_stream(self, stream_id: str, after_version: int = 0) -> list[EventEnvelope]:
        cursor = self.events.find({"stream_id": stream_id, "version": {"$gt": after_version}}).sort("version", 1)
        envelopes = [document_to_envelope(document) async for document in cursor]
        if envelopes:
            self._remember(stream_id, envelopes[-1].version)
        return envelopes


class GroupCommit:
    """Single-event appends that arrive while an insert is in flight go to the server together.

    The first append when idle is sent at once (no added latency); appends arriving meanwhile queue and are
    sent as one unordered ``insert_many`` when it returns -- one round trip for many independent commands.
    Each document still succeeds or fails on its own: a duplicate (stream, version) fails only its own
    append, with the same DuplicateKeyError an ``insert_one`` would raise, so the caller's conflict path is
    unchanged. A failure of the whole command fails every append in it (none of them is acknowledged).
    """

    def __init__(self, collection: Any, max_batch: int = 1000) -> None:
        self.collection = collection
        self.max_batch = max_batch
        self._queue: list[tuple[dict[str, Any], asyncio.Future]] = []
        self._task: asyncio.Task | None = None

    async def insert(self, document: dict[str, Any]) -> None:
        future = asyncio.get_running_loop().create_future()
        self._queue.append((document, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())
        await asyncio.shield(future)

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:self.max_batch], self._queue[self.max_batch:]
            try:
                if len(batch) == 1:
                    await self.collection.insert_one(batch[0][0])
                else:
                    await self.collection.insert_many([document for document, _ in batch], ordered=False)
            except BulkWriteError as error:
                failed = {item["index"]: item for item in error.details.get("writeErrors", [])}
                whole = error.details.get("writeConcernErrors")
                for index, (_, future) in enumerate(batch):
                    item = failed.get(index)
                    if whole:
                        _settle(future, error=error)
                    elif item is None:
                        _settle(future)
                    elif item.get("code") == 11000:
                        _settle(future, error=DuplicateKeyError(item.get("errmsg", "duplicate key"), 11000, item))
                    else:
                        _settle(future, error=OperationFailure(item.get("errmsg", "write failed"), item.get("code"), item))
            except BaseException as error:  # noqa: BLE001 - every waiting append learns the outcome
                for _, future in batch:
                    _settle(future, error=error if isinstance(error, Exception) else ConnectionError(repr(error)))
                if not isinstance(error, Exception):
                    raise
            else:
                for _, future in batch:
                    _settle(future)


def _settle(future: asyncio.Future, error: BaseException | None = None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


def _is_duplicate(error: BulkWriteError) -> bool:
    return any(item.get("code") == 11000 for item in error.details.get("writeErrors", []))
