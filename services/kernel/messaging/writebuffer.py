"""Handler writes queued and sent as one ordered ``bulk_write`` per collection (round trips per batch, not per event).

A projection handler writes through ``tx.collection(name)``. Writes made with the running session are queued;
a read the batch cannot answer from memory first flushes every queued write, so a handler that reads sees the
batch's earlier writes. A read by ``_id`` of a document the batch knows (read ahead, read once already, or
written by ``_id`` since: services.kernel.messaging.known_documents) costs no round trip. A write made *without*
the session (a large handler writing outside the transaction on purpose) goes straight to the server. Buffered
writes return ``None``; a write error surfaces at the flush, which the runner turns into a one-event-at-a-time
replay so the error is blamed on the right event.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pymongo import DeleteMany, DeleteOne, InsertOne, ReplaceOne, UpdateMany, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from services.kernel.messaging.known_documents import UNKNOWN, KnownDocuments

_READS = ("find_one", "count_documents", "distinct", "aggregate", "find_one_and_update", "find_one_and_replace",
          "find_one_and_delete", "estimated_document_count")


class WriteBuffer:
    """Queued write operations of one batch, per physical collection, in the order the handlers made them."""

    def __init__(self, session: AsyncClientSession | None) -> None:
        self.session = session
        self._ops: dict[str, list[Any]] = defaultdict(list)
        self._collections: dict[str, AsyncCollection] = {}
        self.queued = 0
        #: what the batch knows of documents by _id, kept as the server would answer (known_documents)
        self.known = KnownDocuments()
        #: per collection, _id → (index of its queued write, whether that write creates the document)
        self._last: dict[str, dict[Any, tuple[int, bool]]] = defaultdict(dict)

    def read_ahead(self, collection: str, documents: dict[Any, dict | None], codec: Any = None) -> None:
        """Documents read for the batch (Projection.prefetch, or a read by _id), None for those not there."""
        self.known.learn(collection, documents, codec)

    def ahead(self, collection: str, document_id: Any, projection: Any = None) -> tuple[bool, dict | None]:
        """(True, a copy of the document or None) when the batch knows it as the server would answer it now."""
        return self.known.get(collection, document_id, projection)

    def add(self, collection: AsyncCollection, operation: Any) -> None:
        """Queue ``operation``. A write by ``_id`` whose outcome the batch knows whole is sent as that outcome: the
        document's earlier queued write becomes it (a registration and a move-in of one person: one write), or,
        the document being known not to exist, an insert (an upsert costs the server a lookup and more)."""
        name = collection.name
        self._collections[name] = collection
        self.queued += 1
        ops, last = self._ops[name], self._last[name]
        key, before, after = self.known.written(name, operation)
        if key is None:
            if not (isinstance(operation, InsertOne) and "_id" not in operation._doc):
                last.clear()  # a write by another filter: later writes stay after it
            ops.append(operation)
            return
        if after is UNKNOWN or after is None:
            last.pop(key, None)
            ops.append(operation)
            return
        if key in last:
            index, creates = last[key]
            ops[index] = _outcome(key, after, creates)
            return
        inserts = isinstance(operation, InsertOne)  # stays an insert: one of a document there must still fail
        creates = inserts or before is None
        ops.append(_outcome(key, after, creates) if creates and not inserts else operation)
        last[key] = (len(ops) - 1, creates)

    async def flush(self) -> int:
        """Send what is queued; returns the number of round trips it took."""
        trips = 0
        ops, self._ops = self._ops, defaultdict(list)
        self._last = defaultdict(dict)
        self.queued = 0
        for name, operations in ops.items():
            if operations:
                await self._collections[name].bulk_write(operations, ordered=True, session=self.session)
                trips += 1
        return trips


def _outcome(key: Any, document: dict, creates: bool) -> Any:
    """The one write that leaves ``document`` under ``key``: an insert when it did not exist before the batch."""
    if creates:
        return InsertOne(document)
    return ReplaceOne({"_id": key}, {name: value for name, value in document.items() if name != "_id"}, upsert=True)


_UNSUPPORTED = object()  #: find_one arguments a known document cannot answer (sort, skip, ...)


def _projection(args: tuple, kwargs: dict) -> Any:
    """find_one's projection (None: whole documents), or _UNSUPPORTED when it is given more than that."""
    if not args and not kwargs:
        return None
    if len(args) == 1 and not kwargs:
        return args[0]
    if not args and list(kwargs) == ["projection"]:
        return kwargs["projection"]
    return _UNSUPPORTED


class BufferedCollection:
    """A collection whose in-session writes are queued in ``buffer``; everything else is the real collection."""

    def __init__(self, collection: AsyncCollection, buffer: WriteBuffer) -> None:
        self._collection = collection
        self._buffer = buffer

    def _buffered(self, session: Any) -> bool:
        return session is not None and session is self._buffer.session

    async def _write(self, method: str, operation: Any, session: Any, *args: Any, **kwargs: Any) -> Any:
        if self._buffered(session):
            self._buffer.add(self._collection, operation)
            return None
        self._buffer.known.forget(self._collection.name)  # written elsewhere: the batch no longer knows it
        return await getattr(self._collection, method)(*args, session=session, **kwargs)

    async def insert_one(self, document: dict, session: Any = None, **kwargs: Any) -> Any:
        return await self._write("insert_one", InsertOne(document), session, document, **kwargs)

    async def insert_many(self, documents: list[dict], session: Any = None, **kwargs: Any) -> Any:
        if self._buffered(session):
            for document in documents:
                self._buffer.add(self._collection, InsertOne(document))
            return None
        self._buffer.known.forget(self._collection.name)
        return await self._collection.insert_many(documents, session=session, **kwargs)

    async def update_one(self, filter: dict, update: Any, upsert: bool = False, session: Any = None,
                         **kwargs: Any) -> Any:
        return await self._write("update_one", UpdateOne(filter, update, upsert=upsert, **kwargs), session,
                                 filter, update, upsert=upsert, **kwargs)

    async def update_many(self, filter: dict, update: Any, upsert: bool = False, session: Any = None,
                          **kwargs: Any) -> Any:
        return await self._write("update_many", UpdateMany(filter, update, upsert=upsert, **kwargs), session,
                                 filter, update, upsert=upsert, **kwargs)

    async def replace_one(self, filter: dict, replacement: dict, upsert: bool = False, session: Any = None,
                          **kwargs: Any) -> Any:
        return await self._write("replace_one", ReplaceOne(filter, replacement, upsert=upsert, **kwargs), session,
                                 filter, replacement, upsert=upsert, **kwargs)

    async def delete_one(self, filter: dict, session: Any = None, **kwargs: Any) -> Any:
        return await self._write("delete_one", DeleteOne(filter, **kwargs), session, filter, **kwargs)

    async def delete_many(self, filter: dict, session: Any = None, **kwargs: Any) -> Any:
        return await self._write("delete_many", DeleteMany(filter, **kwargs), session, filter, **kwargs)

    async def bulk_write(self, requests: list[Any], ordered: bool = True, session: Any = None, **kwargs: Any) -> Any:
        if self._buffered(session):
            for request in requests:
                self._buffer.add(self._collection, request)
            return None
        self._buffer.known.forget(self._collection.name)
        return await self._collection.bulk_write(requests, ordered=ordered, session=session, **kwargs)

    async def find_one(self, filter: Any = None, *args: Any, session: Any = None, **kwargs: Any) -> Any:
        """A read by ``_id`` (with or without a projection) of a document the batch knows costs no round trip; one
        it does not is read from the server after the queued writes, and known from then on."""
        projection = _projection(args, kwargs)
        by_id = (projection is not _UNSUPPORTED and self._buffered(session) and isinstance(filter, dict)
                 and list(filter) == ["_id"] and not isinstance(filter["_id"], dict))
        if by_id:
            hit, document = self._buffer.ahead(self._collection.name, filter["_id"], projection)
            if hit:
                return document
        await self._buffer.flush()
        document = await self._collection.find_one(filter, *args, session=session, **kwargs)
        if by_id and projection is None:
            self._buffer.read_ahead(self._collection.name, {filter["_id"]: document},
                                    getattr(self._collection, "codec_options", None))
        return document

    def find(self, *args: Any, **kwargs: Any) -> "_FlushingCursor":
        return _FlushingCursor(self._buffer, self._collection.find(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._collection, name)
        if name in _READS:
            async def read(*args: Any, **kwargs: Any) -> Any:
                await self._buffer.flush()
                return await attribute(*args, **kwargs)
            return read
        return attribute


class _FlushingCursor:
    """``find()`` is synchronous, so the flush waits until the cursor is first iterated."""

    def __init__(self, buffer: WriteBuffer, cursor: Any) -> None:
        self._buffer = buffer
        self._cursor = cursor

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._cursor, name)
        if name == "to_list":
            async def to_list(*args: Any, **kwargs: Any) -> Any:
                await self._buffer.flush()
                return await attribute(*args, **kwargs)
            return to_list
        if callable(attribute):
            def chained(*args: Any, **kwargs: Any) -> Any:
                result = attribute(*args, **kwargs)
                return _FlushingCursor(self._buffer, result) if result is self._cursor else result
            return chained
        return attribute

    def __aiter__(self) -> Any:
        return self._iterate()

    async def _iterate(self) -> Any:
        await self._buffer.flush()
        async for document in self._cursor:
            yield document
