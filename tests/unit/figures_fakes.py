"""In-memory stand-ins for what the figures projection touches: collections (the few query forms it uses), a
projection transaction, a runner's per-stream checkpoint, and the re-fold of the same events as the reference."""

from __future__ import annotations

import copy
from collections import defaultdict
from datetime import date
from types import SimpleNamespace
from typing import Any, Iterable

from contracts.envelope import EventEnvelope
from services.audit.domain import assessment
from services.audit.domain.fold import evolve
from services.audit.domain.metrics import Record, local_day
from services.audit.projections.figures import count_event


def _matches(document: dict, query: dict) -> bool:
    for field, condition in query.items():
        if field == "$or":
            if not any(_matches(document, q) for q in condition):
                return False
            continue
        value = document.get(field)
        if isinstance(condition, dict):
            for op, operand in condition.items():
                ok = {"$in": lambda: value in operand, "$ne": lambda: value != operand,
                      "$lt": lambda: value is not None and value < operand,
                      "$lte": lambda: value is not None and value <= operand}[op]()
                if not ok:
                    return False
        elif isinstance(value, list):
            if condition not in value:
                return False
        elif value != condition:
            return False
    return True


class _Cursor:
    def __init__(self, documents: list[dict]) -> None:
        self._documents = documents

    def hint(self, index: Any) -> "_Cursor":
        return self

    def __aiter__(self):
        async def iterate():
            for document in self._documents:
                yield document
        return iterate()


class FakeCollection:
    """Documents by _id, with the two lookups the projection makes indexed (by code, by a referenced code), so
    the bench can build a town of tens of thousands of records in memory."""

    def __init__(self) -> None:
        self.documents: dict[Any, dict] = {}
        self.by_code: dict[str, set] = defaultdict(set)
        self.by_ref: dict[str, set] = defaultdict(set)

    def _candidates(self, query: dict) -> Iterable[dict]:
        if isinstance(query.get("_id"), str):
            return [self.documents[query["_id"]]] if query["_id"] in self.documents else []
        if isinstance(query.get("code"), dict) and "$in" in query["code"]:
            return [self.documents[i] for code in query["code"]["$in"] for i in self.by_code.get(code, ())]
        if isinstance(query.get("refs"), str):
            return [self.documents[i] for i in self.by_ref.get(query["refs"], ())]
        return list(self.documents.values())

    async def find_one(self, query: dict, *args: Any, **kwargs: Any) -> dict | None:
        return next((copy.deepcopy(d) for d in self._candidates(query) if _matches(d, query)), None)

    def find(self, query: dict, *args: Any, **kwargs: Any) -> _Cursor:
        return _Cursor([copy.deepcopy(d) for d in self._candidates(query) if _matches(d, query)])

    async def insert_one(self, document: dict, **kwargs: Any) -> None:
        assert document["_id"] not in self.documents, f"duplicate key {document['_id']}"
        self.documents[document["_id"]] = copy.deepcopy(document)

    async def update_one(self, query: dict, update: dict, upsert: bool = False, **kwargs: Any) -> None:
        document = self.documents.get(query["_id"])
        if document is None:
            if not upsert:
                return
            document = self.documents[query["_id"]] = {"_id": query["_id"], **update.get("$setOnInsert", {})}
        for field, value in update.get("$set", {}).items():
            document[field] = copy.deepcopy(value)
            if field == "code":
                self.by_code[value].add(document["_id"])
            elif field == "refs":
                for ref in value:
                    self.by_ref[ref].add(document["_id"])
        for path, n in update.get("$inc", {}).items():
            head, _, tail = path.partition(".")
            document.setdefault(head, {})
            document[head][tail] = document[head].get(tail, 0) + n


class _Defaulting(dict):
    """Physical collection names (``records__g1``) → the fake collections, made on first use."""

    def __init__(self, known: dict, collections: dict) -> None:
        super().__init__(known)
        self._collections = collections

    def __missing__(self, name: str) -> FakeCollection:
        return self._collections[name.rsplit("__g", 1)[0]]


class _HeldWrites:
    """The runner's write buffer, in memory: writes queued until ``flush``; any read flushes first, except a
    read by ``_id`` of a document read ahead and not written since."""

    def __init__(self, collections: dict[str, FakeCollection]) -> None:
        self.collections = collections
        self.queued: list[tuple[str, str, tuple, dict]] = []
        self.read: dict[str, dict[Any, dict | None]] = {}  #: read ahead, by logical collection and _id

    def ahead(self, physical: str, key: Any) -> tuple[bool, dict | None]:
        """As WriteBuffer.ahead: (True, a copy) when read ahead and not written since."""
        known = self.read.get(physical.rsplit("__g", 1)[0], {})
        return (True, copy.deepcopy(known[key])) if key in known else (False, None)

    def collection(self, name: str) -> "_Held":
        return _Held(self, name)

    async def flush(self) -> None:
        queued, self.queued = self.queued, []
        for name, method, args, kwargs in queued:
            await getattr(self.collections[name], method)(*args, **kwargs)


class _Held:
    def __init__(self, buffer: _HeldWrites, name: str) -> None:
        self.buffer, self.name = buffer, name

    def _queue(self, method: str, *args: Any, **kwargs: Any) -> None:
        self.buffer.queued.append((self.name, method, copy.deepcopy(args), kwargs))
        if args and isinstance(args[0], dict) and "_id" in args[0]:
            self.buffer.read.get(self.name, {}).pop(args[0]["_id"], None)

    async def insert_one(self, document: dict, **kwargs: Any) -> None:
        self._queue("insert_one", document, **kwargs)

    async def update_one(self, query: dict, update: dict, upsert: bool = False, **kwargs: Any) -> None:
        self._queue("update_one", query, update, upsert=upsert)

    async def find_one(self, query: dict, *args: Any, **kwargs: Any) -> dict | None:
        hit, document = self.buffer.ahead(self.name, query["_id"]) if list(query) == ["_id"] else (False, None)
        if hit:
            return document
        await self.buffer.flush()
        return await self.buffer.collections[self.name].find_one(query)


class FakeFigures:
    """The projection's collections, fed one envelope at a time behind a per-stream checkpoint (as the runner)."""

    def __init__(self) -> None:
        self.collections: dict[str, FakeCollection] = defaultdict(FakeCollection)
        self.checkpoints: dict[str, int] = {}

    async def feed(self, envelope: EventEnvelope) -> bool:
        if envelope.version <= self.checkpoints.get(envelope.stream_id, 0):
            return False  # a redelivery
        tx = SimpleNamespace(envelope=envelope, session=None, collection=lambda name: self.collections[name])
        await count_event(tx)
        self.checkpoints[envelope.stream_id] = envelope.version
        return True

    async def feed_batch(self, envelopes: list[EventEnvelope]) -> None:
        """Envelopes applied as the runner applies a poll: one shared memory, the batch's records read ahead,
        every write held back until the batch ends (a read that is not read ahead sends them first)."""
        from services.audit.projections.figures import RECORDS, figures
        from services.kernel.messaging.batching import prefetched_ids

        buffer = _HeldWrites(self.collections)
        for logical, document_id in figures.prefetches:
            ids = {key for envelope in envelopes for key in prefetched_ids(document_id(envelope))}
            buffer.read.setdefault(logical, {}).update(  # several read ahead one collection (groups)
                {key: await self.collections[logical].find_one({"_id": key}) for key in ids})
        assert RECORDS in buffer.read
        db = {f"{name}__g1": collection for name, collection in self.collections.items()}
        for envelope in envelopes:
            if envelope.version <= self.checkpoints.get(envelope.stream_id, 0):
                continue
            tx = SimpleNamespace(envelope=envelope, session=None, buffer=buffer, db=_Defaulting(db, self.collections),
                                 generation=1, collection=buffer.collection)
            await count_event(tx)
            self.checkpoints[envelope.stream_id] = envelope.version
        await buffer.flush()

    @property
    def counters(self) -> FakeCollection:
        return self.collections["counters"]

    @property
    def pending(self) -> FakeCollection:
        return self.collections["pending"]

    @property
    def records(self) -> FakeCollection:
        return self.collections["records"]


def interleave(events: Iterable[EventEnvelope], seed: int) -> list[EventEnvelope]:
    """The events in a random order across streams, each stream's own order kept (as Kafka delivers them)."""
    import random

    streams: dict[str, list[EventEnvelope]] = defaultdict(list)
    for envelope in events:
        streams[envelope.stream_id].append(envelope)
    queues = [list(q) for q in streams.values()]
    rng, result = random.Random(seed), []
    while queues:
        queue = rng.choice(queues)
        result.append(queue.pop(0))
        if not queue:
            queues.remove(queue)
    return result


def refold(events: Iterable[EventEnvelope], day: date) -> list[Record]:
    """Every stream folded from its events recorded by the end of ``day`` (Beijing), as the archive's re-fold."""
    streams: dict[str, list[EventEnvelope]] = defaultdict(list)
    for envelope in events:
        if local_day(envelope.recorded_at) <= day:
            streams[envelope.stream_id].append(envelope)
    result = []
    for stream_id, envelopes in streams.items():
        envelopes.sort(key=lambda e: e.version)
        state: dict[str, Any] = {}
        division = None
        for envelope in envelopes:
            state = evolve(state, envelope.event_type, envelope.payload)
            division = envelope.division_code or envelope.payload.get("division_code") or division
        archived = [{"stream_type": e.stream_type, "event_type": e.event_type, "version": e.version,
                     "actor": {"id": e.actor.id}, "recorded_at": e.recorded_at} for e in envelopes]
        first = evolve({}, envelopes[0].event_type, envelopes[0].payload)
        result.append(Record(stream_id, envelopes[0].stream_type, state, division or "", envelopes[0].actor.id,
                             envelopes[0].recorded_at, [e.event_type for e in envelopes],
                             assessment.folded(archived, first)))
    return result
