"""The application layer every context shares: load, decide, append; uniqueness claims; the answer.

A context's application service subclasses ``Application`` and keeps only its own rules: which aggregate,
which command method, which uniqueness key. The plumbing (not found, stale expected version, appending,
the claim protocol of services.kernel.claims) lives here once. It talks to ports, so a unit test runs it on
the in-memory fakes (services.kernel.memory) and a service on MongoDB.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Awaitable, Callable, TypeVar

from pydantic import BaseModel, Field

from services.kernel.aggregate import Aggregate, CommandContext
from services.kernel.claims import PENDING, STALE_CLAIM_SECONDS
from services.kernel.errors import ConcurrencyConflict, NotFound, StateConflict
from services.kernel.ports import ClaimsPort, EventStorePort
from services.kernel.repository import Repository

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
        """Hold ``key`` while ``register`` writes the new stream, then hand the key to the new record.

        The claim is taken with a token only this request holds (ids may be deterministic, so two racing
        requests would otherwise both believe they won). A refused or failed registration releases it.
        ``duplicate(owner)`` is the error raised when the key is held by a registered record.
        """
        holder = await self.settled_owner(key)
        if holder is not None:
            raise duplicate(holder)
        token = f"{PENDING}{uuid.uuid4()}"
        winner = await self.claims.take(key, token)
        if winner != token:
            raise duplicate(await self.settled_owner(key) or winner)
        try:
            aggregate = await register()
        except BaseException:
            await self.claims.release(key, token)
            raise
        await self.claims.rekey(key, token, owner_id(aggregate))
        return aggregate

    async def settled_owner(self, key: str, timeout_seconds: float = 3.0) -> str | None:
        """The id holding ``key``, waiting out a concurrent request that is still registering it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_seconds
        while True:
            owner = await self.claims.owner_of(key)
            if owner is None or not owner.startswith(PENDING):
                return owner
            if loop.time() > deadline:
                # a claimant that has not finished within STALE_CLAIM_SECONDS died mid-registration
                released = await self.claims.release_if_stale(key, owner, STALE_CLAIM_SECONDS)
                return None if released else owner
            await asyncio.sleep(0.02)

    async def move_key(self, old_key: str | None, new_key: str, owner: str, write: Callable[[], Awaitable[R]],
                       duplicate: Callable[[str], Exception], allow_duplicate: bool = False) -> R:
        """A record changes its unique key (rename, renumber): take the new key, write, then free the old one.

        If the write is refused (a retired record, a stale version, a rule) the new key is released again,
        so a refused command never keeps a claim.
        """
        if new_key == old_key:
            return await write()
        holder = await self.claims.take(new_key, owner)
        took = holder == owner
        if not took and not allow_duplicate:
            settled = await self.settled_owner(new_key)
            if settled is None and await self.claims.take(new_key, owner) == owner:
                took = True
            else:
                raise duplicate(settled or holder)
        try:
            result = await write()
        except BaseException:
            if took:
                await self.claims.release(new_key, owner)
            raise
        if old_key is not None:
            await self.claims.release(old_key, owner)
        return result
