"""Read models fed by event topics (读模型): what a context declares, and what its handlers get.

A ``Projection`` names the topics it reads, the collections it owns and what each event type does to them;
a handler gets a ``ProjectionTx``: the event and the collections of the running transaction's generation.
Running them is services.kernel.messaging.projection_runner's job: idempotent, gap-aware, never skipping,
applied in batches (batching), with checkpoints (checkpoints) and dead letters (deadletters).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from contracts.envelope import EventEnvelope
from contracts.events import DomainEvent
from services.kernel.messaging.writebuffer import BufferedCollection, WriteBuffer


@dataclass
class ProjectionTx:
    """What a handler gets: the event, and collections bound to the running transaction's generation."""

    envelope: EventEnvelope
    session: AsyncClientSession
    db: AsyncDatabase
    generation: int
    buffer: WriteBuffer | None = field(default=None, repr=False)
    #: the topic partition the event came from (None: not known). Transactions of one partition never run side by
    #: side, so a handler may key a concurrency guard by it (services/audit/projections/figures_links.py)
    partition: int | None = None

    def collection(self, logical_name: str) -> AsyncCollection:
        collection = cached_collection(self.db, physical_name(logical_name, self.generation))
        return BufferedCollection(collection, self.buffer) if self.buffer is not None else collection  # type: ignore[return-value]


Handler = Callable[[ProjectionTx], Awaitable[None]]


_COLLECTIONS: dict[tuple[int, str], AsyncCollection] = {}


def cached_collection(db: AsyncDatabase, name: str) -> AsyncCollection:
    """Building a pymongo collection object costs more than a handler's whole write: keep them."""
    key = (id(db), name)
    collection = _COLLECTIONS.get(key)
    if collection is None or collection.database is not db:
        if len(_COLLECTIONS) > 1000:
            _COLLECTIONS.clear()
        collection = _COLLECTIONS[key] = db[name]
    return collection


def physical_name(logical_name: str, generation: int) -> str:
    """Read-model collections carry their generation so a rebuild can fill a fresh one beside the live one."""
    return f"{logical_name}__g{generation}"


def stream_field(stream_type: str, field: str) -> Callable[[EventEnvelope], Any]:
    """A prefetch key (Projection.prefetch): ``field`` of the payload of a ``stream_type`` stream's events (a
    house's events read the house folded by ``house_id``), None for other streams."""
    return lambda envelope: envelope.payload.get(field) if envelope.stream_type == stream_type else None


class Projection:
    """A named read model: which contexts' topics it reads and what each event type does to it."""

    def __init__(self, name: str, sources: list[str], collections: list[str]) -> None:
        self.name = name
        self.sources = sources
        self.collections = collections
        self.handlers: dict[str, Handler] = {}
        self.large: set[str] = set()
        self.indexes: list[tuple[str, list[tuple[str, Any]], dict[str, Any]]] = []
        self.early_indexes: set[int] = set()  #: positions in ``indexes`` a rebuild makes before its load
        self.prefetches: list[tuple[str, Callable[[EventEnvelope], Any]]] = []
        #: sources a rebuild replays before the others, in this order (what the others' handlers read: addresses)
        self.replayed_first: list[str] = []
        #: a rebuild commits its partitions' batches one at a time from the start (each still fetched and decoded
        #: side by side). The default: on SecantusDB, transactions writing neighbouring keys of one index at once
        #: (time-ordered stream ids, each partition's batch spread over the same range) slow each other down:
        #: 30,000 archived events in batches of 5,000, six transactions at once 2,923 docs/s, one at a time
        #: 32,895 (bench/README.md, 'A city's reads'). False: side by side until two batches conflict.
        self.take_turns = True
        #: run by a rebuild after its load, before its indexes are made (or made again) and the swap, with the new
        #: generation's collections by logical name: what the live service would otherwise still be doing when the
        #: generation starts answering (the figures fold their pending changes, so no reader sums a city's worth)
        self.settle: Callable[[dict[str, AsyncCollection]], Awaitable[Any]] | None = None

    def handles(self, *event_types: type[DomainEvent], large: bool = False) -> Callable[[Handler], Handler]:
        """Register ``handler`` for these event classes (classes, not strings: a typo fails at import).

        ``large=True``: the handler writes more than one transaction may hold (it writes outside it, idempotently),
        so a batch is split around such an event and it is applied on its own.
        """
        for event_type in event_types:
            if not (isinstance(event_type, type) and issubclass(event_type, DomainEvent)):
                raise TypeError(f"{self.name}: handles() takes DomainEvent classes, got {event_type!r}")
            if event_type.event_type() in self.handlers:
                raise ValueError(f"{self.name}: {event_type.event_type()} already has a handler")

        def register(handler: Handler) -> Handler:
            for event_type in event_types:
                self.handlers[event_type.event_type()] = handler
                if large:
                    self.large.add(event_type.event_type())
            return handler

        return register

    async def apply(self, tx: ProjectionTx) -> None:
        """The event to its handler (an event type this projection does not handle passes by)."""
        handler = self.handlers.get(tx.envelope.event_type)
        if handler is not None:
            await handler(tx)

    def prefetch(self, collection: str, document_id: Callable[[EventEnvelope], Any]) -> None:
        """Read ``collection``'s documents ``document_id(event)`` (None: none; a list: several) for a whole batch
        in one query before its handlers run, so a handler's ``find_one({"_id": ...})`` of each costs no round
        trip (a handler that reads the document it is about to update, once per event, would otherwise cost one
        per event). Several prefetches of one collection are read in one query."""
        self.prefetches.append((collection, document_id))

    def index(self, collection: str, keys: list[tuple[str, Any]], *, read_while_applying: bool = False,
              **options: Any) -> None:
        """A read-model index. ``read_while_applying``: the handlers themselves query by it, so a rebuild makes it
        before its load like a unique one (a secondary index is otherwise made after the load, which would leave
        every such query a scan of the growing collection)."""
        self.indexes.append((collection, keys, options))
        if read_while_applying:
            self.early_indexes.add(len(self.indexes) - 1)

    def checkpoint_collection(self, generation: int) -> str:
        return physical_name(f"{self.name}.checkpoints", generation)

    def parked_collection(self, generation: int) -> str:
        return physical_name(f"{self.name}.parked", generation)
