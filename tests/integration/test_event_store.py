"""The event store against the real MongoDB-compatible server: one writer wins, order is kept."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from contracts.envelope import Actor, EventEnvelope
from services.kernel.base.errors import ConcurrencyConflict
from services.kernel.eventsourcing.eventstore import EventStore
from services.kernel.messaging.runtime import mongo_client

ACTOR = Actor(id="PC-1", role="police", organisation_code="532503")


def envelope(stream_id: str, version: int, **payload) -> EventEnvelope:
    return EventEnvelope(event_type="TestHappened", stream_id=stream_id, stream_type="Test", version=version,
                         actor=ACTOR, correlation_id="c-1", payload=payload)


@pytest.fixture
async def store(settings):
    client = mongo_client(settings)
    store = EventStore(client, client[settings.database_name("storetest")])
    await store.ensure_indexes()
    yield store
    await client.close()


async def test_concurrent_appends_to_one_stream_exactly_one_wins(store):
    stream = f"s-{uuid.uuid4().hex}"
    await store.append(stream, 0, [envelope(stream, 1)])

    async def writer(n: int):
        return await store.append(stream, 1, [envelope(stream, 2, writer=n)])

    results = await asyncio.gather(*(writer(n) for n in range(8)), return_exceptions=True)
    winners = [result for result in results if result == 2]
    losers = [result for result in results if isinstance(result, ConcurrencyConflict)]
    assert len(winners) == 1 and len(losers) == 7
    assert all(loser.current_version == 2 and loser.expected_version == 1 for loser in losers)
    assert [e.version for e in await store.read_stream(stream)] == [1, 2]


async def test_concurrent_creation_of_a_stream_exactly_one_wins(store):
    stream = f"s-{uuid.uuid4().hex}"
    results = await asyncio.gather(*(store.append(stream, 0, [envelope(stream, 1, n=n)]) for n in range(5)),
                                   return_exceptions=True)
    assert sum(1 for result in results if result == 1) == 1
    assert sum(1 for result in results if isinstance(result, ConcurrencyConflict)) == 4


async def test_expected_version_ahead_of_the_stream_is_a_conflict_not_a_gap(store):
    stream = f"s-{uuid.uuid4().hex}"
    await store.append(stream, 0, [envelope(stream, 1)])
    with pytest.raises(ConcurrencyConflict) as conflict:
        await store.append(stream, 3, [envelope(stream, 4)])
    assert conflict.value.current_version == 1


async def test_multi_event_append_is_all_or_nothing_and_reads_back_in_order(store):
    stream = f"s-{uuid.uuid4().hex}"
    await store.append(stream, 0, [envelope(stream, 1), envelope(stream, 2), envelope(stream, 3)])
    with pytest.raises(ConcurrencyConflict):
        await store.append(stream, 2, [envelope(stream, 3), envelope(stream, 4)])
    events = await store.read_stream(stream)
    assert [e.version for e in events] == [1, 2, 3]
    assert events[0].actor == ACTOR and events[0].correlation_id == "c-1"
    assert [e.version for e in await store.read_stream(stream, after_version=1)] == [2, 3]


async def test_concurrent_multi_event_appends_exactly_one_wins(store):
    stream = f"s-{uuid.uuid4().hex}"
    await store.append(stream, 0, [envelope(stream, 1)])
    results = await asyncio.gather(*(
        store.append(stream, 1, [envelope(stream, 2, writer=n), envelope(stream, 3, writer=n)]) for n in range(6)),
        return_exceptions=True)
    assert sum(1 for result in results if result == 3) == 1
    assert all(isinstance(result, ConcurrencyConflict) for result in results if result != 3), results
    events = await store.read_stream(stream)
    assert [e.version for e in events] == [1, 2, 3] and events[1].payload == events[2].payload
