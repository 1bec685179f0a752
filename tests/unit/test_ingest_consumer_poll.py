"""The registry's ingest consumer settles a poll (services.agency.consumer): the creates of every partition in one
bulk call (历史数据导入), the rest one by one, every record answered once, each partition committed past its
records only once their answers are sent; a bulk call that fails leaves the same answers to the one-by-one path."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from aiokafka.structs import TopicPartition

from services.agency import consumer as ingest_consumer
from tests.unit.test_initial_load import applier, command, fields

TOPIC = "t.person.ingest"


class Consumer:
    """What the consumer loop asks of aiokafka: commit and seek, recorded."""

    def __init__(self) -> None:
        self.commits: dict[int, int] = {}
        self.seeks: list = []

    async def commit(self, offsets: dict) -> None:
        for tp, meta in offsets.items():
            self.commits[tp.partition] = meta.offset

    def seek(self, tp, offset: int) -> None:
        self.seeks.append((tp.partition, offset))


class Publisher:
    """Answers as the replies topic would hold them, each acknowledged at once."""

    def __init__(self) -> None:
        self.replies: list = []

    async def publish(self, reply) -> asyncio.Future:
        self.replies.append(reply)
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


def poll(commands_by_partition: dict[int, list]) -> dict:
    """A poll as aiokafka hands it over: per partition, messages keyed by agency and record id."""
    return {TopicPartition(TOPIC, partition): [
        SimpleNamespace(topic=TOPIC, partition=partition, offset=10 + offset, value=item.model_dump_json().encode(),
                        key=f"{item.agency}:{item.record.record_id}".encode())
        for offset, item in enumerate(items)] for partition, items in commands_by_partition.items()}


def the_poll() -> dict[int, list]:
    return {0: [command(fields(1), "R1"), command(fields(2), "R2"), command(fields(1), "R1")],
            1: [command(fields(3), "R3"), command(fields(4, sex="female"), "R4")],
            2: [command(fields(5), "R5"), command(fields(6), "R6"), command(fields(6), "R6")]}


async def test_a_polls_creates_of_every_partition_are_applied_in_one_bulk_call_and_each_partition_committed(
        monkeypatch):
    bulk, store, _, _ = applier()
    calls = []
    real = ingest_consumer.apply_many

    async def counted(applier_, commands):
        calls.append(sorted(c.record.record_id for c in commands))
        return await real(applier_, commands)

    monkeypatch.setattr(ingest_consumer, "apply_many", counted)
    consumer, publisher = Consumer(), Publisher()

    await ingest_consumer._settle_poll(consumer, poll(the_poll()), bulk, publisher, "person")

    # a record delivered twice in one poll (R1 in partition 0, R6 in partition 2) keeps its order one by one
    assert calls == [["R2", "R3", "R4", "R5"]]
    answered = sorted((reply.record_id, reply.status) for reply in publisher.replies)
    assert answered == [("R1", "accepted"), ("R1", "accepted"), ("R2", "accepted"), ("R3", "accepted"),
                        ("R4", "rejected"), ("R5", "accepted"), ("R6", "accepted"), ("R6", "accepted")]
    assert consumer.commits == {0: 13, 1: 12, 2: 13} and consumer.seeks == []
    for twice in ("R1", "R6"):  # applied once, the redelivery answered the same
        assert len({reply.entity_id for reply in publisher.replies if reply.record_id == twice}) == 1
    assert len([e for e in store.log if e.event_type == "PersonRegistered"]) == 5


async def test_a_failed_bulk_call_leaves_the_same_answers_to_the_one_by_one_path(monkeypatch):
    expected_applier, _, _, _ = applier()
    expected_publisher = Publisher()
    await ingest_consumer._settle_poll(Consumer(), poll(the_poll()), expected_applier, expected_publisher, "person")

    async def broken(applier_, commands):
        raise ConnectionError("the database went away")

    monkeypatch.setattr(ingest_consumer, "apply_many", broken)
    bulk, store, _, _ = applier()
    consumer, publisher = Consumer(), Publisher()

    await ingest_consumer._settle_poll(consumer, poll(the_poll()), bulk, publisher, "person")

    def answers(replies) -> list:
        return sorted((r.record_id, r.operation, r.status, [x.rule for x in r.reasons]) for r in replies)

    assert answers(publisher.replies) == answers(expected_publisher.replies)
    assert consumer.commits == {0: 13, 1: 12, 2: 13}
    assert len([e for e in store.log if e.event_type == "PersonRegistered"]) == 5
