"""The application layer every context shares: load, decide, append; uniqueness claims; the answer.

A context's application service subclasses ``Application`` and keeps only its own rules: which aggregate,
which command method, which uniqueness key. The plumbing (not found, stale expected version, appending,
the claim protocol of services.kernel.eventsourcing.claims) lives here once. It talks to ports, so a unit test runs it on
the in-memory fakes (services.kernel.eventsourcing.memory) and a service on MongoDB.
"""

from __future__ import annotations

from typing import Awaitable, Callable, Sequence, TypeVar

from pydantic import BaseModel, Field

from services.kernel.base.errors import ConcurrencyConflict, NotFound, StateConflict
from services.kernel.eventsourcing.aggregate import Aggregate, CommandContext
from services.kernel.eventsourcing.claims import ClaimProtocol
from services.kernel.eventsourcing.ports import ClaimsPort, EventStorePort
from services.kernel.eventsourcing.repository import Repository

A = TypeVar("A", bound=Aggregate)
R = TypeVar("R")


class Accepted(BaseModel):
    """What a command answers: the stream it wrote and its new version (pass it as ``min_version`` to read
    your own write). Contexts subclass it to add their id field (``code``, ``person_id`` ...)."""

    stream_id: str = Field(examples=["doorplate-532503001500000000000000"])
    version: int = Field(ge=1, examples=[1])


class Versioned(BaseModel):
    """Commands on an existing record may carry the version the caller last read (optimistic lock)."""

    expected_version: int | None = Field(
        default=None, ge=1, description="the stream version you last read; a stale one gets 409 (optimistic lock)")


class Application:
    """Base of a context's application service."""

    def __init__(self, store: EventStorePort, claims: ClaimsPort) -> None:
        self.store = store
        self.claims = claims
        self.claim_protocol = ClaimProtocol(claims)
        self._repositories: dict[type, Repository] = {}

    def repository(self, aggregate_type: type[A]) -> Repository[A]:
        if aggregate_type not in self._repositories:
            self._repositories[aggregate_type] = Repository(self.store, aggregate_type)
        return self._repositories[aggregate_type]

    # load, change, save ------------------------------------------------------------------------------
    async def find(self, aggregate_type: type[A], stream_id: str) -> A | None:
        return await self.repository(aggregate_type).get(stream_id)

    async def load(self, aggregate_type: type[A], stream_id: str, identifier: str,
                   expected_version: int | None = None, ctx: CommandContext | None = None) -> A:
        """The aggregate, or 404 naming it; 403 when it lies outside the caller's jurisdiction (``ctx``);
        409 when the caller's expected version is stale."""
        aggregate = await self.find(aggregate_type, stream_id)
        if aggregate is None:
            raise NotFound(aggregate_type.stream_type.lower(), identifier)
        if ctx is not None:
            ctx.require_within(aggregate.division_code)
        if expected_version is not None and expected_version != aggregate.version:
            raise ConcurrencyConflict(stream_id, expected_version, aggregate.version)
        return aggregate

    async def save(self, aggregate: Aggregate, ctx: CommandContext) -> Aggregate:
        await self.repository(type(aggregate)).save(aggregate, ctx)
        return aggregate

    async def save_many(self, aggregates: Sequence[tuple[Aggregate, CommandContext]]) -> list[Aggregate | Exception]:
        """Store many aggregates' pending events at once (an initial load: one round trip per thousand new
        records, services.kernel.eventsourcing.eventstore.append_many); per aggregate itself or its ConcurrencyConflict."""
        prepared = [(aggregate, Repository.envelopes(aggregate, ctx)) for aggregate, ctx in aggregates]
        outcomes = await self.store.append_many([(aggregate.id, aggregate.version, envelopes)
                                                 for aggregate, envelopes in prepared])
        results: list[Aggregate | Exception] = []
        for (aggregate, envelopes), outcome in zip(prepared, outcomes):
            if isinstance(outcome, Exception):
                results.append(outcome)
            else:
                Repository.saved(aggregate, envelopes)
                results.append(aggregate)
        return results

    async def change(self, aggregate_type: type[A], stream_id: str, identifier: str, expected_version: int | None,
                     action: Callable[[A], object], ctx: CommandContext) -> A:
        """Load, let ``action`` decide (it records events or raises), append with the loaded version."""
        aggregate = await self.load(aggregate_type, stream_id, identifier, expected_version, ctx)
        action(aggregate)
        await self.save(aggregate, ctx)
        return aggregate

    # registration ------------------------------------------------------------------------------------
    async def register_first_free(self, make: Callable[[int], A], ctx: CommandContext, attempts: int = 20) -> A:
        """Append version 1 of ``make(salt)`` for the first salt whose stream is free (hash-derived ids clash
        rarely; a clash or a lost race moves on to the next salt)."""
        for salt in range(attempts):
            aggregate = make(salt)
            if await self.store.current_version(aggregate.id):
                continue
            try:
                return await self.save(aggregate, ctx)
            except ConcurrencyConflict:
                continue
        raise StateConflict("id.exhausted", "no free identifier after many tries", "编码分配失败")

    async def register_claimed(self, key: str, register: Callable[[], Awaitable[A]], owner_id: Callable[[A], str],
                               duplicate: Callable[[str], Exception]) -> A:
        """Hold ``key`` while ``register`` writes the new stream, then hand it to the new record
        (services.kernel.eventsourcing.claims.ClaimProtocol): a refused or failed registration keeps no claim."""
        return await self.claim_protocol.register_claimed(key, register, owner_id, duplicate)

    async def settled_owner(self, key: str, timeout_seconds: float = 3.0) -> str | None:
        """The id holding ``key``, waiting out a concurrent request that is still registering it."""
        return await self.claim_protocol.settled_owner(key, timeout_seconds)

    async def move_key(self, old_key: str | None, new_key: str, owner: str, write: Callable[[], Awaitable[R]],
                       duplicate: Callable[[str], Exception], allow_duplicate: bool = False) -> R:
        """A record changes its unique key (rename, renumber, correction): a refused write releases the new key."""
        return await self.claim_protocol.move_key(old_key, new_key, owner, write, duplicate, allow_duplicate)
