"""In-memory read models: the fake of the read-model port (services.kernel.messaging.read_models) for unit tests.

Queries are answered by mongomock (MongoDB's query language in memory), wrapped in PyMongo's async shapes
(``find`` gives a cursor to ``async for``; ``aggregate`` is awaited), so a view or a projection runs unchanged
and a test asserts what the user would see, without a database. ``apply`` hands events to a projection's
handlers as the runner would (the same collections the views read). Every projection is caught up unless a
test holds it back (``lag``), so read-your-writes answers as it would once the events have arrived.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import mongomock

from contracts.envelope import EventEnvelope
from services.kernel.eventsourcing.memory import InMemoryEventStore
from services.kernel.messaging.projection import Projection


class InMemoryCursor:
    """A find's or an aggregate's answer: chain sort/skip/limit, then ``async for`` or ``to_list``."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def __getattr__(self, name: str):  # sort, skip, limit, batch_size ... return the cursor for chaining
        method = getattr(self._cursor, name)

        def chained(*args: Any, **kwargs: Any) -> InMemoryCursor:
            result = method(*args, **kwargs)
            return self if result is self._cursor else result

        return chained

    def __aiter__(self):
        return self._documents()

    async def _documents(self):
        for document in self._cursor:
            yield document

    async def to_list(self, length: int | None = None) -> list[dict]:
        documents = list(self._cursor)
        return documents if length is None else documents[:length]

    async def close(self) -> None:
        return None


class InMemoryReadModel:
    """One collection: ``find`` as PyMongo's async collection has it, every other method awaited."""

    def __init__(self, collection: mongomock.Collection) -> None:
        self._collection = collection

    def find(self, *args: Any, **kwargs: Any) -> InMemoryCursor:
        kwargs.pop("session", None)
        return InMemoryCursor(self._collection.find(*args, **kwargs))

    async def aggregate(self, pipeline: list[dict], **kwargs: Any) -> InMemoryCursor:
        kwargs = {k: v for k, v in kwargs.items() if k not in ("session", "allowDiskUse", "hint", "comment")}
        return InMemoryCursor(iter(list(self._collection.aggregate(pipeline, **kwargs))))

    def __getattr__(self, name: str):  # find_one, count_documents, distinct, insert_one, update_one ...
        method = getattr(self._collection, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            kwargs.pop("session", None)
            return method(*args, **kwargs)

        return call


@dataclass
class InMemoryProjectionTx:
    """What a projection's handler gets (services.kernel.messaging.projection.ProjectionTx), in memory."""

    envelope: EventEnvelope
    reads: InMemoryReadModels
    projection: str
    session: None = None

    def collection(self, logical_name: str) -> InMemoryReadModel:
        return self.reads.read_model(self.projection, logical_name)


class InMemoryReadModels:
    """The read side of one context in memory: collections by (projection, logical name), an event store."""

    read_wait_seconds = 0.2

    def __init__(self, store: InMemoryEventStore | None = None) -> None:
        self.store = store or InMemoryEventStore()
        self._database = mongomock.MongoClient(tz_aware=True).get_database("read_models")  # as the services read
        self.lag: dict[str, int] = {}  #: stream id → versions a test holds the projections behind

    def read_model(self, projection: str, logical_name: str) -> InMemoryReadModel:
        return InMemoryReadModel(self._database[f"{projection}.{logical_name}"])

    async def applied_version(self, projection: str, stream_id: str) -> int:
        return max(0, await self.store.current_version(stream_id) - self.lag.get(stream_id, 0))

    async def apply(self, projection: Projection, envelopes: Iterable[EventEnvelope]) -> None:
        """Each event to the projection's handler for its type, in order (events it does not handle pass by)."""
        for envelope in envelopes:
            await projection.apply(InMemoryProjectionTx(envelope, self, projection.name))  # type: ignore[arg-type]
