"""Registrations many at a time (批量登记, an initial load): the claim protocol of ``register_claimed`` for a set.

``Application.register_claimed`` takes a unique key (a house's address, a unit's USCC), writes the new stream
and hands the key to the new record: three round trips per record. ``save_claimed_many`` does the same for a
set in one round trip per step (the keys taken together, the streams appended together, the keys handed over
together) and answers each item as ``register_claimed`` would: the record, the registry's duplicate refusal,
or the refusal ``build`` raised once the key was won. What the set cannot settle the way the single command
would (a key twice in the set, a key another request is registering right now) is returned to be registered
one by one after the rest. A failure of the store raises with no claim of the set kept.

``change_many`` is the same for changes of existing records (a residence moved into, 批量登记居住地): each record
loaded and decided by the single command's own code, many at a time, and the decided changes appended together.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Awaitable, Callable, Generic, Sequence, TypeVar

from services.kernel.eventsourcing.aggregate import Aggregate, CommandContext
from services.kernel.eventsourcing.claims import PENDING

A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True)
class Claimed(Generic[A]):
    """One decided registration: its unique key (None: it claims nothing) and how to make the record once the
    key is won (a refusal raised there is the item's answer and releases the key)."""

    key: str | None
    build: Callable[[], A]
    ctx: CommandContext
    duplicate: Callable[[str], Exception] | None = None  #: the refusal naming the key's holder


@dataclass
class ManyOutcome(Generic[A]):
    results: dict[int, A | Exception]  #: by index: the saved record or its refusal
    alone: list[int]  #: indexes to register one by one (``register`` waits out a concurrent claimant)


async def save_claimed_many(app, items: dict[int, Claimed[A]], owner_id: Callable[[A], str]) -> ManyOutcome[A]:
    """Register ``items`` (by index) with their keys claimed in bulk; see the module docstring."""
    results: dict[int, A | Exception] = {}
    alone: list[int] = []
    keyed: dict[int, str] = {}
    for index, item in items.items():
        if item.key is None:
            continue
        if item.key in keyed.values():
            alone.append(index)  # a key twice in the set: the second waits for the first, as a second request does
        else:
            keyed[index] = item.key
    token = f"{PENDING}{uuid.uuid4()}"
    holders = await app.claims.take_many(list(keyed.values()), token)
    won: list[int] = []
    for index, item in items.items():
        if index in alone:
            continue
        holder = holders.get(item.key) if item.key is not None else token
        if holder == token:
            won.append(index)
        elif holder.startswith(PENDING):
            alone.append(index)  # someone is registering it now: ``register`` waits it out
        else:
            results[index] = item.duplicate(holder) if item.duplicate else RuntimeError(f"{item.key} is held")
    built: list[tuple[int, A]] = []
    refused: list[str] = []
    for index in won:
        try:
            built.append((index, items[index].build()))
        except Exception as refusal:  # noqa: BLE001 - the item's own answer, as register would raise it
            results[index] = refusal
            if items[index].key is not None:
                refused.append(items[index].key)  # type: ignore[arg-type]
    try:
        saved = await app.save_many([(aggregate, items[index].ctx) for index, aggregate in built])
    except BaseException:
        await app.claims.release_many([key for key in keyed.values()
                                       if holders.get(key) == token], token)
        raise
    handed: list[tuple[str, str]] = []
    for (index, _), outcome in zip(built, saved):
        results[index] = outcome
        key = items[index].key
        if key is None:
            continue
        if isinstance(outcome, Exception):
            refused.append(key)
        else:
            handed.append((key, owner_id(outcome)))
    await app.claims.rekey_many(handed, token)
    await app.claims.release_many(refused, token)
    return ManyOutcome(results, sorted(alone))


async def register_many(app, commands: Sequence[tuple[object, CommandContext]], decide, owner_id: Callable[[A], str],
                        accepted, register) -> list:
    """A registry's ``register_many``: ``decide(command, ctx)`` checks a command (raising its refusal) and gives its
    ``Claimed`` and what its answer needs besides the record; ``accepted(record, extra)`` is the answer;
    ``register(command, ctx)`` is the single command, for what the set cannot settle. Each answer in place."""
    results: list = [None] * len(commands)
    decided: dict[int, Claimed] = {}
    extras: dict[int, object] = {}
    for index, (command, ctx) in enumerate(commands):
        try:
            decided[index], extras[index] = await decide(command, ctx)
        except Exception as refusal:  # noqa: BLE001 - each command's own answer, as register would raise it
            results[index] = refusal
    outcome = await save_claimed_many(app, decided, owner_id)
    for index, record in outcome.results.items():
        results[index] = record if isinstance(record, Exception) else accepted(record, extras[index])
    for index in outcome.alone:
        try:
            results[index] = await register(*commands[index])
        except Exception as refusal:  # noqa: BLE001 - its own answer, or a failure the caller judges
            results[index] = refusal
    return results


async def parsed_many(items: Sequence[tuple[dict, CommandContext]], parse, many, answer) -> list:
    """Many creates of raw fields (an agency's records): each parsed into its command by ``parse`` (a validation
    error is its answer), the valid ones run together by ``many``, each accepted answer mapped by ``answer``."""
    results: list = [None] * len(items)
    valid: list[int] = []
    commands = []
    for index, (fields, ctx) in enumerate(items):
        try:
            commands.append((parse(fields), ctx))
            valid.append(index)
        except ValueError as error:  # pydantic's ValidationError: the record's own refusal
            results[index] = error
    for index, outcome in zip(valid, await many(commands)):
        results[index] = outcome if isinstance(outcome, Exception) else answer(outcome)
    return results


#: records loaded and decided at once by ``change_many`` (each a stream read and a replica lookup or two)
CHANGES_IN_FLIGHT = 32


async def change_many(app, items: Sequence[tuple[str, Callable[[], Awaitable[A]], CommandContext]]) -> list:
    """Many changes of existing records at once, each answered as the single command answers it alone.

    An item is (stream id, ``decide``, ctx): ``decide()`` is the single command without its append — it loads the
    record and lets it decide, raising the command's refusal. The items are decided ``CHANGES_IN_FLIGHT`` at a
    time and the decided records appended together (``Application.save_many``: a record changed meanwhile answers
    its ConcurrencyConflict). A stream named more than once is changed one item at a time after the rest, in
    order, as separate requests would be. Each answer in place: the saved record or the refusal; a failure of
    the store for the whole set raises."""
    results: list = [None] * len(items)
    named = Counter(stream_id for stream_id, _, _ in items)
    gate = asyncio.Semaphore(CHANGES_IN_FLIGHT)
    decided: dict[int, A] = {}

    async def decide(index: int) -> None:
        async with gate:
            try:
                decided[index] = await items[index][1]()
            except Exception as refusal:  # noqa: BLE001 - the item's own answer, as the command would raise it
                results[index] = refusal

    await asyncio.gather(*(decide(index) for index, (stream_id, _, _) in enumerate(items) if named[stream_id] == 1))
    order = sorted(decided)
    for index, outcome in zip(order, await app.save_many([(decided[index], items[index][2]) for index in order])):
        results[index] = outcome
    for index, (stream_id, make, ctx) in enumerate(items):
        if named[stream_id] > 1:
            try:
                results[index] = await app.save(await make(), ctx)
            except Exception as refusal:  # noqa: BLE001 - its own answer, or a failure the caller judges
                results[index] = refusal
    return results
