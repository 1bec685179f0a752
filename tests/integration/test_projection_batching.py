"""Batched apply against the real database: one transaction per batch, reads see the batch's earlier writes,
large events are applied on their own, and a stale remembered checkpoint never applies an event twice."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from contracts.envelope import Actor, EventEnvelope
from contracts.events import DomainEvent
from services.kernel.base.metrics import PROJECTION_BATCHES
from services.kernel.messaging.projection import Projection, ProjectionTx
from services.kernel.messaging.projection_runner import ProjectionRunner
from services.kernel.messaging.runtime import mongo_client

ACTOR = Actor(id="PC-1", role="police", organisation_code="532503")


class Stepped(DomainEvent):
    """A test-only fact."""

    model_config = {"extra": "allow", "frozen": True}


class Expanded(DomainEvent):
    """A test-only fact whose handler writes outside the transaction."""

    model_config = {"extra": "allow", "frozen": True}


steps = Projection("test-batching", sources=["batchtest"], collections=["steps", "expansions"])
seen_by_reader: list[list[int]] = []


@steps.handles(Stepped)
async def stepped(tx: ProjectionTx) -> None:
    steps_ = tx.collection("steps")
    before = await steps_.find_one({"_id": tx.envelope.stream_id}, session=tx.session)
    seen_by_reader.append(list(before["versions"]) if before else [])
    await steps_.update_one({"_id": tx.envelope.stream_id}, {"$push": {"versions": tx.envelope.version}},
                            upsert=True, session=tx.session)


@steps.handles(Expanded, large=True)
async def expanded(tx: ProjectionTx) -> None:
    await tx.collection("expansions").insert_many(  # outside the transaction, on purpose
        [{"_id": f"{tx.envelope.stream_id}-{n}"} for n in range(3)])
    await tx.collection("steps").update_one({"_id": tx.envelope.stream_id}, {"$push": {"versions": tx.envelope.version}},
                                            upsert=True, session=tx.session)


@dataclass
class Record:
    value: bytes
    offset: int
    key: bytes | None = None
    headers: tuple = ()
    topic: str = "batchtest"
    partition: int = 0


def records(stream: str, versions: list[int], first_offset: int = 0, kind: str = "Stepped") -> list[Record]:
    return [Record(EventEnvelope(event_type=kind, stream_id=stream, stream_type="Step", version=v, actor=ACTOR,
                                 correlation_id="batch-test").to_bytes(), first_offset + n)
            for n, v in enumerate(versions)]


async def test_a_batch_is_one_transaction_whose_handlers_see_earlier_writes_and_large_events_go_alone(settings):
    client = mongo_client(settings)
    try:
        db = client[settings.database_name("batchtest")]
        runner = ProjectionRunner(steps, client, db, None, settings.namespace, generation=1)
        stream, other = f"s-{uuid.uuid4().hex[:6]}", f"o-{uuid.uuid4().hex[:6]}"
        committed = PROJECTION_BATCHES.labels(steps.name, "committed")._value.get()
        seen_by_reader.clear()
        batch = records(stream, [1, 2, 3]) + records(other, [1], 3, kind="Expanded") + records(other, [2], 4)
        assert await runner.apply_batch(batch) == 3, "the batch stops before the large event"
        assert seen_by_reader == [[], [1], [1, 2]], "each handler read the batch's earlier writes"
        assert await runner.apply_batch(batch[3:]) == 1, "the large event is applied on its own"
        assert await runner.apply_batch(batch[4:]) == 1
        assert PROJECTION_BATCHES.labels(steps.name, "committed")._value.get() - committed == 2
        documents = {d["_id"]: d["versions"] async for d in db["steps__g1"].find({"_id": {"$in": [stream, other]}})}
        assert documents == {stream: [1, 2, 3], other: [1, 2]}
        assert await db["expansions__g1"].count_documents({"_id": {"$regex": f"^{other}-"}}) == 3
    finally:
        await client.close()


async def test_a_stale_remembered_checkpoint_aborts_the_batch_instead_of_applying_twice(settings):
    client = mongo_client(settings)
    try:
        db = client[settings.database_name("batchtest")]
        runner = ProjectionRunner(steps, client, db, None, settings.namespace, generation=1)
        stream = f"s-{uuid.uuid4().hex[:6]}"
        assert await runner.apply_batch(records(stream, [1, 2])) == 2
        assert runner.cache[stream]["version"] == 2
        # Elsewhere (a redrive in another process) version 3 is applied; this runner's memory is now stale.
        await db["steps__g1"].update_one({"_id": stream}, {"$push": {"versions": 3}})
        await db["test-batching.checkpoints__g1"].update_one({"_id": stream}, {"$set": {"version": 3}})
        replayed = PROJECTION_BATCHES.labels(steps.name, "replayed_singly")._value.get()
        assert await runner.apply_batch(records(stream, [3, 4], 2)) == 2
        assert PROJECTION_BATCHES.labels(steps.name, "replayed_singly")._value.get() == replayed + 1
        assert (await db["steps__g1"].find_one({"_id": stream}))["versions"] == [1, 2, 3, 4], "3 applied once"
    finally:
        await client.close()
