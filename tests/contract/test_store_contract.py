"""One contract for the event store and the claims store, run against every backend (in-memory and MongoDB).

The in-memory fakes are what the unit tests of domains and application services run on; this suite is what
makes a green unit test mean what an integration test would (the way pyeventsourcing runs its recorder tests
per backend). The MongoDB backend uses the real server of the local stack.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from contracts.envelope import Actor, EventEnvelope
from services.kernel.eventsourcing.claims import MongoClaims
from services.kernel.base.errors import ConcurrencyConflict
from services.kernel.eventsourcing.eventstore import EventStore
from services.kernel.eventsourcing.memory import InMemoryClaims, InMemoryEventStore
from services.kernel.messaging.runtime import mongo_client

ACTOR = Actor(id="PC-1", role="police", organisation_code="532503")


@pytest.fixture(params=["memory", "mongodb"])
async def backend(request, settings):
    if request.param == "memory":
        yield InMemoryEventStore(), InMemoryClaims()
        return
    client = mongo_client(settings)
    db = client[f"{settings.namespace}_contract_{uuid.uuid4().hex[:8]}"]
    store = EventStore(client, db)
    await store.ensure_indexes()
    try:
        yield store, MongoClaims(db)
    finally:
        await client.drop_database(db.name)
        await client.close()


def events(stream: str, first: int, count: int = 1, **payload) -> list[EventEnvelope]:
    return [EventEnvelope(event_type="Counted", stream_id=stream, stream_type="Counter", version=version,
                          actor=ACTOR, correlation_id="c", division_code="532503001", payload={"n": version, **payload})
            for version in range(first, first + count)]


def new_stream() -> str:
    return f"counter-{uuid.uuid4().hex[:10]}"


async def test_a_stream_reads_back_in_order_with_its_envelope(backend):
    store, _ = backend
    stream = new_stream()
    assert await store.current_version(stream) == 0
    assert await store.read_stream(stream) == []
    assert await store.append(stream, 0, events(stream, 1, 3)) == 3
    read = await store.read_stream(stream)
    assert [(e.version, e.payload["n"], e.division_code, e.actor.id) for e in read] == [
        (1, 1, "532503001", "PC-1"), (2, 2, "532503001", "PC-1"), (3, 3, "532503001", "PC-1")]
    assert [e.version for e in await store.read_stream(stream, after_version=2)] == [3]
    assert await store.current_version(stream) == 3


async def test_a_stale_expected_version_is_a_conflict_naming_the_current_one(backend):
    store, _ = backend
    stream = new_stream()
    await store.append(stream, 0, events(stream, 1, 2))
    with pytest.raises(ConcurrencyConflict) as conflict:
        await store.append(stream, 1, events(stream, 2))
    assert conflict.value.current_version == 2 and conflict.value.expected_version == 1
    with pytest.raises(ConcurrencyConflict):
        await store.append(stream, 0, events(stream, 1))  # registering an existing stream again
    assert await store.current_version(stream) == 2


async def test_two_writers_on_one_version_exactly_one_wins(backend):
    store, _ = backend
    stream = new_stream()
    await store.append(stream, 0, events(stream, 1))
    results = await asyncio.gather(*(store.append(stream, 1, events(stream, 2, writer=w)) for w in range(5)),
                                   return_exceptions=True)
    assert sum(1 for r in results if r == 2) == 1
    assert all(isinstance(r, ConcurrencyConflict) for r in results if r != 2)
    assert len(await store.read_stream(stream)) == 2


async def test_an_envelope_that_does_not_follow_the_expected_version_is_refused(backend):
    store, _ = backend
    stream = new_stream()
    with pytest.raises(ValueError):
        await store.append(stream, 0, events(stream, 2))
    with pytest.raises(ValueError):
        await store.append(stream, 0, events("other-stream", 1))
    assert await store.current_version(stream) == 0


async def test_claims_are_held_by_the_first_and_told_to_the_rest(backend):
    _, claims = backend
    key = f"key:{uuid.uuid4().hex}"
    assert await claims.owner_of(key) is None
    assert await claims.take(key, "a") == "a"
    assert await claims.take(key, "b") == "a"
    assert await claims.rekey(key, "b", "c") is False, "only the holder hands a claim on"
    assert await claims.rekey(key, "a", "A1") is True
    assert await claims.owner_of(key) == "A1"
    await claims.release(key, "someone-else")
    assert await claims.owner_of(key) == "A1", "a release by a non-holder does nothing"
    await claims.release(key, "A1")
    assert await claims.owner_of(key) is None
    assert await claims.take(key, "b") == "b"


async def test_racing_claimants_one_wins(backend):
    _, claims = backend
    key = f"key:{uuid.uuid4().hex}"
    owners = await asyncio.gather(*(claims.take(key, f"o{i}") for i in range(8)))
    assert len(set(owners)) == 1 and owners[0] in {f"o{i}" for i in range(8)}


async def test_release_all_frees_one_owners_keys_under_a_prefix(backend):
    _, claims = backend
    tag = uuid.uuid4().hex
    for key in (f"doorkey:{tag}:1", f"doorkey:{tag}:2", f"place:{tag}:x"):
        await claims.take(key, f"owner-{tag}")
    await claims.take(f"doorkey:{tag}:3", "another")
    assert await claims.release_all(f"owner-{tag}", prefix="doorkey:") == 2
    assert await claims.owner_of(f"doorkey:{tag}:1") is None
    assert await claims.owner_of(f"place:{tag}:x") == f"owner-{tag}"
    assert await claims.owner_of(f"doorkey:{tag}:3") == "another"


async def test_only_a_stale_claim_is_released_as_stale(backend):
    _, claims = backend
    key = f"key:{uuid.uuid4().hex}"
    await claims.take(key, "pending:x")
    assert await claims.release_if_stale(key, "pending:x", older_than_seconds=30) is False
    await asyncio.sleep(0.01)  # stored times have millisecond precision: let the claim become strictly older
    assert await claims.release_if_stale(key, "pending:x", older_than_seconds=0) is True
    assert await claims.owner_of(key) is None
