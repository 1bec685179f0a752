"""The feed publisher's poll without a broker or a database (issue 17): a poll of many events on several partitions
publishes what subscribers would get from the same events one at a time, masked per topic's grant, and commits
each partition past its last event."""

from __future__ import annotations

import asyncio
import zlib
from types import SimpleNamespace

from aiokafka import TopicPartition

from contracts.feeds import DataClass, FeedMessage
from services.feeds.publisher import publish_poll
from services.feeds.sources import sources_of
from services.feeds.states import public_state, visibility
from services.feeds.subscribers import publications, subscribers
from services.kernel.base.masking import Viewer, mask_tree
from services.kernel.messaging.memory_reads import InMemoryReadModels
from services.person.projections import registry
from tests.load_stream import CONTEXT_OF, Record, load_stream

SOURCES = sources_of("person")
BY_STREAM = {source.stream_type: source for source in SOURCES}
ROUTES = {source.entity: publications(source.entity, subscribers(), "t") for source in SOURCES}
TOPIC = "t.person.events"
PARTITIONS = [TopicPartition(TOPIC, number) for number in range(3)]


class Broker:
    """Keeps what was published, in order; every publish confirmed at once."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, dict, FeedMessage]] = []

    async def publish(self, message, topic, key, no_confirm, headers):
        self.sent.append((topic, key, headers, message))
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    def by_key(self) -> dict[tuple[str, bytes], list[tuple[dict, dict]]]:
        """(topic, key) → the (headers, message) published for it, in order."""
        kept: dict[tuple[str, bytes], list] = {}
        for topic, key, headers, message in self.sent:
            kept.setdefault((topic, key), []).append((headers, message.model_dump(mode="json")))
        return kept


class Consumer:
    def __init__(self, owned=PARTITIONS) -> None:
        self.owned, self.commits = set(owned), []

    def assignment(self):
        return self.owned

    async def commit(self, offsets):
        self.commits.append({tp: meta.offset for tp, meta in offsets.items()})


class Admin:
    """The registry's group, committed past everything."""

    async def list_consumer_group_offsets(self, group, partitions):
        return {tp: SimpleNamespace(offset=10**9) for tp in partitions}


def the_log(persons: int) -> list[Record]:
    """A load's person events on three partitions by stream (as the relay keys them), offsets per partition."""
    events = [envelope for envelope in load_stream(persons, "fp") if CONTEXT_OF[envelope.stream_type] == "person"]
    offsets = [0] * len(PARTITIONS)
    log = []
    for envelope in events:
        partition = zlib.crc32(envelope.stream_id.encode()) % len(PARTITIONS)
        log.append(Record(envelope.to_bytes(), envelope.stream_id.encode(), [], TOPIC, partition, offsets[partition]))
        offsets[partition] += 1
    return log


def poll(records: list[Record]) -> dict[TopicPartition, list[Record]]:
    batches: dict[TopicPartition, list[Record]] = {}
    for record in records:
        batches.setdefault(PARTITIONS[record.partition], []).append(record)
    return batches


async def publish(consumer, broker, reads, batches) -> None:
    await publish_poll(consumer, Admin(), broker, reads, lambda projection: f"t.{projection}.g1", batches, "person",
                       BY_STREAM, ROUTES, wait_seconds=1.0)


async def registry_after(log: list[Record]) -> InMemoryReadModels:
    from contracts.envelope import EventEnvelope

    reads = InMemoryReadModels()
    await reads.apply(registry, [EventEnvelope.model_validate_json(record.value) for record in log])
    return reads


async def test_a_poll_of_many_events_publishes_what_one_event_at_a_time_would_leave_subscribers_holding():
    log = the_log(120)
    assert {record.partition for record in log} == {0, 1, 2}

    one_at_a_time, reads = Broker(), InMemoryReadModels()
    from contracts.envelope import EventEnvelope

    for record in log:  # the registry moves one event ahead of each one-event poll
        await reads.apply(registry, [EventEnvelope.model_validate_json(record.value)])
        await publish(Consumer(), one_at_a_time, reads, poll([record]))

    batched, consumer = Broker(), Consumer()
    await publish(consumer, batched, reads, poll(log))

    singly, together = one_at_a_time.by_key(), batched.by_key()
    assert set(together) == set(singly) and len(together) == 120 * 3 + 1, "every person on its three topics, the key person on one"
    for topic_key, messages in together.items():
        assert messages == singly[topic_key][-1:], f"{topic_key}: once, at the state one at a time ends on"
        versions = [message["version"] for _, message in singly[topic_key]]
        assert versions == sorted(versions)
    assert consumer.commits == [{tp: max(r.offset for r in log if r.partition == tp.partition) + 1
                                 for tp in PARTITIONS}], "one commit, each partition past its last event"


async def test_a_poll_publishes_exactly_what_its_partitions_did_one_by_one():
    """The publisher before issue 17 dealt with a poll partition by partition: same messages, headers, commits."""
    log = the_log(60)
    reads = await registry_after(log)
    by_partition, consumer_then = Broker(), Consumer()
    for tp, records in poll(log).items():
        await publish(consumer_then, by_partition, reads, {tp: records})
    whole, consumer_now = Broker(), Consumer()
    await publish(consumer_now, whole, reads, poll(log))
    assert whole.by_key() == by_partition.by_key()
    assert consumer_now.commits == [{tp: offsets for commit in consumer_then.commits for tp, offsets in commit.items()}]


async def test_each_message_is_the_registry_document_masked_for_its_topics_grant():
    log = the_log(60)
    reads = await registry_after(log)
    broker = Broker()
    await publish(Consumer(), broker, reads, poll(log))
    grants = {publication.topic: publication.grant for routes in ROUTES.values() for publication in routes}
    assert {len(grant) for grant in grants.values()} == {0, 1, len(DataClass)}, "default, names only, everything"
    sources = {source.entity: source for source in SOURCES}
    for topic, key, headers, message in broker.sent:
        source = sources[message.entity]
        document = await reads.read_model(source.projection, source.collection).find_one({"_id": key.decode()})
        state = mask_tree(public_state(source, document), Viewer(role="feed", fixed=visibility(grants[topic])))
        assert message.state == state and message.version == document["_version"]
        assert message.grant == sorted(grants[topic])
        assert headers == {"schema_version": "1", "entity": source.entity.value}


async def test_a_partition_handed_away_while_waiting_is_neither_published_nor_committed():
    log = the_log(30)
    reads = await registry_after(log)
    broker, consumer = Broker(), Consumer(owned=PARTITIONS[1:])
    await publish(consumer, broker, reads, poll(log))
    gone = {record.key.decode().split("-", 1)[1] for record in log if record.partition == 0}
    assert gone and not {key.decode() for _, key, _, _ in broker.sent} & gone
    assert [set(commit) for commit in consumer.commits] == [set(PARTITIONS[1:])]
