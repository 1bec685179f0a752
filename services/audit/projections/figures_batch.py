"""What the figures projection has read and written in one batch (一批事件共用的读写): one memory per batch.

The runner applies a poll's events in one transaction and queues the handlers' writes (services.kernel.messaging.writebuffer);
a read through the buffered collections first sends every queued write, so an event that reads its record, its
addresses and its duplicate group cost 3–5 round trips (53 events/s). Here the batch keeps every document it read
or wrote — records by id and by address code, groups — and reads the database *without* flushing, overlaying
what it holds: a document this batch wrote is taken from memory, so a read never needs the queued writes sent.
Records of the batch's streams, the duplicate groups its registrations join and its addresses' link documents
are read ahead in one query each (the kernel's ``Projection.prefetch``; an address nothing depends on yet needs
no search for the records on it), an address hierarchy once per batch, and the writes go out once, at the
batch's end.

A batch's memory lives as long as its write buffer (a new transaction, a retry or the one-event-at-a-time replay
starts a fresh one), so nothing outlives what the transaction commits. An event applied without a buffer (tests'
fakes, a handler called alone) gets a memory of its own: the same code, nothing shared.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable

from services.audit.projections.figures_links import lane_of
from services.kernel.messaging.projection import ProjectionTx, physical_name

class Held:
    """What one batch read and wrote. Holds nothing of the transaction (no session, no buffer), so it lives exactly
    as long as the batch's write buffer it is kept for."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}  #: written (or read whole) in this batch, by _id
        self.by_code: dict[str, str] = {}  #: address code → _id of a record held in ``records``
        self.seen_codes: dict[str, list] = {}  #: address code → timeline as read from the database ([]: none)
        self.groups: dict[str, dict[str, Any] | None] = {}  #: by name (None: read, not there)
        self.collections: dict[str, Any] = {}  #: unbuffered collections by logical name


#: write buffer → its batch's Held (weak: a buffer ends with its transaction, and Held refers to no buffer)
_BATCHES: "weakref.WeakKeyDictionary[Any, Held]" = weakref.WeakKeyDictionary()


class Batch:
    """One event's view of its batch: records and groups as the database had them at the batch's start, overlaid
    with the batch's writes (``Held``), read without flushing and written through the buffer."""

    def __init__(self, tx: ProjectionTx, reader: Callable[[str], Any], buffer: Any = None,
                 held: Held | None = None) -> None:
        self.session = tx.session
        self.lane = lane_of(tx)  #: where this transaction's guard writes go (figures_links)
        self._ahead = (lambda name, key: buffer.ahead(physical_name(name, tx.generation), key)) if buffer else None
        self._writer = tx.collection  # buffered: sent at the batch's end
        self._reader = reader  # unbuffered: sees what was sent, never sends what is queued
        held = held or Held()
        self.records, self.by_code, self.seen_codes, self.groups = (held.records, held.by_code, held.seen_codes,
                                                                    held.groups)

    def writer(self, name: str) -> Any:
        return self._writer(name)

    async def record(self, stream_id: str) -> dict[str, Any] | None:
        """The record of a stream: this batch's copy, else the one read ahead for the batch (no round trip)."""
        if stream_id in self.records:
            return self.records[stream_id]
        document = await self.writer("records").find_one({"_id": stream_id}, session=self.session)
        if document is not None:
            self.hold(document)
        return document

    def hold(self, document: dict[str, Any]) -> None:
        self.records[document["_id"]] = document
        if document.get("code"):
            self.by_code[document["code"]] = document["_id"]

    async def set_record(self, stream_id: str, fields: dict[str, Any]) -> None:
        """``$set`` these fields (queued) and in this batch's copy (which then answers every later read)."""
        document = self.records.get(stream_id) or {"_id": stream_id}
        document.update(fields)
        self.hold(document)
        await self.writer("records").update_one({"_id": stream_id}, {"$set": fields}, upsert=True,
                                                session=self.session)

    async def timelines(self, codes: set[str]) -> dict[str, list]:
        """Address timelines by code ([]: no such address yet): this batch's writes first, then what was read."""
        result: dict[str, list] = {}
        missing = []
        for code in codes:
            if code in self.by_code:
                result[code] = self.records[self.by_code[code]].get("timeline") or []
            elif code in self.seen_codes:
                result[code] = self.seen_codes[code]
            else:
                missing.append(code)
        if missing:
            found = {doc["code"]: doc async for doc in self._reader("records").find(
                {"code": {"$in": sorted(missing)}}, {"code": 1, "timeline": 1}, session=self.session)}
            for code in missing:
                document = found.get(code)
                if document is not None and document["_id"] in self.records:  # held: memory is newer
                    held = self.records[document["_id"]]
                    result[code] = held.get("timeline") or [] if held.get("code") == code else []
                else:
                    result[code] = self.seen_codes[code] = document["timeline"] if document else []
        return result

    async def referring(self, code: str, exclude: str) -> list[dict[str, Any]]:
        """Every record whose figures depend on address ``code`` (but ``exclude``): the database's, with this
        batch's copies in place of the ones it holds (a held record counts by its own, newer ``refs``)."""
        result: dict[str, dict[str, Any]] = {}
        async for document in self._reader("records").find({"refs": code, "_id": {"$ne": exclude}},
                                                             session=self.session):
            if document["_id"] not in self.records:
                self.hold(document)
                result[document["_id"]] = document
        for stream_id, document in self.records.items():
            if stream_id != exclude and code in (document.get("refs") or []):
                result[stream_id] = document
        return list(result.values())

    def ahead(self, name: str, key: Any) -> tuple[bool, dict[str, Any] | None]:
        """(True, the document or None) when the batch knows it as the server would answer now (read ahead, or
        written since); (False, None) when it would have to ask."""
        return self._ahead(name, key) if self._ahead else (False, None)

    async def group(self, name: str) -> dict[str, Any] | None:
        """A duplicate group: this batch's copy, else read ahead for the batch, else read (None: no such group)."""
        if name not in self.groups:
            hit, found = self.ahead("groups", name)
            if not hit:
                found = await self._reader("groups").find_one({"_id": name}, session=self.session)
            self.groups[name] = found
        return self.groups[name]

    async def set_group(self, name: str, fields: dict[str, Any]) -> None:
        self.groups[name] = {**(self.groups.get(name) or {"_id": name}), **fields}
        await self.writer("groups").update_one({"_id": name}, {"$set": fields}, upsert=True, session=self.session)


def batch_of(tx: ProjectionTx) -> Batch:
    """``tx``'s view of its batch (one memory per write buffer), or a memory of its own for an event applied alone."""
    buffer = getattr(tx, "buffer", None)
    if buffer is None:
        return Batch(tx, tx.collection)
    held = _BATCHES.get(buffer)
    if held is None:
        held = _BATCHES[buffer] = Held()

    def reader(name: str) -> Any:
        if name not in held.collections:
            held.collections[name] = tx.db[physical_name(name, tx.generation)]
        return held.collections[name]

    return Batch(tx, reader, buffer, held)
