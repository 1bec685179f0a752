"""Handler writes queued and sent as one ordered ``bulk_write`` per collection (round trips per batch, not per event).

A projection handler writes through ``tx.collection(name)``. Writes made with the running session are queued;
any read through a buffered collection first flushes every queued write, so a handler that reads sees the
batch's earlier writes. A write made *without* the session (a large handler writing outside the transaction
on purpose) goes straight to the server. Buffered writes return ``None``; a write error surfaces at the flush,
which the runner turns into a one-event-at-a-time replay so the error is blamed on the right event.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any

import bson
from pymongo import DeleteMany, DeleteOne, InsertOne, ReplaceOne, UpdateMany, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

_READS = ("find_one", "count_documents", "distinct", "aggregate", "find_one_and_update", "find_one_and_replace",
          "find_one_and_delete", "estimated_document_count")


class WriteBuffer:
    """Queued write operations of one batch, per physical collection, in the order the handlers made them."""

    def __init__(self, session: AsyncClientSession | None) -> None:
        self.session = session
        self._ops: dict[str, list[Any]] = defaultdict(list)
        self._collections: dict[str, AsyncCollection] = {}
        self.queued = 0
        #: documents read ahead for the batch (Projection.prefetch), per collection by _id; None = not there.
        #: An entry is dropped as soon as a write may touch it (a whole replacement by _id becomes the entry), so
        #: a hit is what the server would answer.
        self._ahead: dict[str, dict[Any, dict | None]] = {}

    def read_ahead(self, collection: str, documents: dict[Any, dict | None]) -> None:
        self._ahead.setdefault(collection, {}).update(documents)

    def ahead(self, collection: str, document_id: Any) -> tuple[bool, dict | None]:
        """(True, a copy of the document or None) when it was read ahead and nothing has written it since."""
        known = self._ahead.get(collection)
        if not known or document_id not in known:
            return False, None
        document = known[document_id]
        return True, copy.deepcopy(document) if document is not None else None

    def add(self, collection: AsyncCollection, operation: Any) -> None:
        self._collections[collection.name] = collection
        self._ops[collection.name].append(operation)
        self.queued += 1
        known = self._ahead.get(collection.name)
        if known:
            where = getattr(operation, "_filter", None) or getattr(operation, "_doc", None)
            if isinstance(where, dict) and "_id" in where and not isinstance(where["_id"], dict):
                key = where["_id"]
                if isinstance(operation, ReplaceOne) and key in known and (operation._upsert or known[key]):
                    # what the server will answer: the replacement through BSON (ms-precision, tz as the client's)
                    known[key] = bson.decode(bson.encode({**operation._doc, "_id": key}), collection.codec_options)
                else:
                    known.pop(key, None)
            else:  # a write by another filter may touch any document
                known.clear()

    async def flush(self) -> int:
        """Send what is queued; returns the number of round trips it took."""
        trips = 0
        ops, self._ops = self._ops, defaultdict(list)
        self.queued = 0
        for name, operations in ops.items():
            if operations:
                await self._collections[name].bulk_write(operations, ordered=True, session=self.session)
                trips += 1
        return trips


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
        return await getattr(self._collection, method)(*args, session=session, **kwargs)

    async def insert_one(self, document: dict, session: Any = None, **kwargs: Any) -> Any:
        return await self._write("insert_one", InsertOne(document), session, document, **kwargs)

    async def insert_many(self, documents: list[dict], session: Any = None, **kwargs: Any) -> Any:
        if self._buffered(session):
            for document in documents:
                self._buffer.add(self._collection, InsertOne(document))
            return None
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
        return await self._collection.bulk_write(requests, ordered=ordered, session=session, **kwargs)

    async def find_one(self, filter: Any = None, *args: Any, session: Any = None, **kwargs: Any) -> Any:
        """A read of one document by ``_id`` that was read ahead for the batch costs no round trip."""
        if not args and not kwargs and self._buffered(session) and isinstance(filter, dict) and list(filter) == ["_id"]:
            hit, document = self._buffer.ahead(self._collection.name, filter["_id"])
            if hit:
                return document
        await self._buffer.flush()
        return await self._collection.find_one(filter, *args, session=session, **kwargs)

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
