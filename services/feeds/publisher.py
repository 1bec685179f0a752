"""The feed publisher of one context (发布订阅数据): after each change of a record, its registry's state goes out.

A background task of the registry's own service reads the context's event topic with its own consumer group
(``<ns>.<context>-feed``) and, per poll and partition, looks up every record changed in the registry read model:
once the registry holds the record at (at least) the event's version, that state is published, masked per grant,
to every topic of the entity kind (services.feeds.subscribers.publications), keyed by record id. Offsets are
committed only after every publish is confirmed, so a crash publishes again: at least once, and a repeat is the
same state with the same version (a subscriber applies only a greater version). A record changed several times
in one poll is published once, at its latest state. Why aiokafka reads and FastStream publishes: DECISIONS.md.

The publisher reads the same partitions as the registry projection, so it first waits until the registry's consumer
group has committed past the poll's last event (``registry_settled``): from then on the registry has dealt with
every event of the poll (applied it, or parked its stream behind a dead letter), and the states it holds are the
ones to publish, without waiting out ``wait_seconds`` for a record that will not move (a parked stream, a gap).

A poll is dealt with as one (issue 17: per partition, the publisher was a quarter of the person process's CPU
during an initial load): one wait for the registry over all its partitions, one read per kind, each document's
state made once and masked once per grant, one commit. A record's events are all on one partition (key = stream
id), so it still goes out once per poll, at its latest state, in version order across polls.

The task is handed exactly its ports by the context's composition root (its bootstrap): the service's settings,
the read-model port (the registry documents) and where each registry projection's consumer group stands.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from itertools import chain
from typing import Any, Callable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata
from prometheus_client import Counter as Metric
from pydantic import ValidationError

from contracts.envelope import EventEnvelope
from contracts.topics import events_topic
from services.agency.consumer import keep_running
from services.feeds.broker import feed_broker
from services.feeds.states import FeedSource, feed_messages
from services.feeds.subscribers import Publication, feed_settings, publications, subscribers
from services.kernel.base.logging import get_logger
from services.kernel.base.settings import Settings
from services.kernel.messaging.read_models import ReadModels
from services.kernel.messaging.topics import COMPACTED, ensure_topics

log = get_logger(__name__)

FEED_MESSAGES = Metric("ybss_feed_messages_total", "Feed messages published, by entity kind and topic",
                        ["entity", "topic"])
#: getmany returns as soon as events arrive: the timeout only bounds how often an idle publisher wakes up
POLL_MS = 1000
#: events of one poll, all partitions together: one registry wait, one read per kind and one commit for them all
POLL_RECORDS = 2000
CATCH_UP_POLL_SECONDS = 0.2

#: the consumer group of a registry projection's live generation (None when the service runs no such projection)
RegistryGroup = Callable[[str], "str | None"]


def changed_records(messages, by_stream: dict[str, FeedSource]) -> dict[tuple[FeedSource, str], int]:
    """(source, record id) → the highest version changed in ``messages``; other streams' events pass by."""
    changed: dict[tuple[FeedSource, str], int] = {}
    for message in messages:
        try:
            envelope = EventEnvelope.model_validate_json(message.value)
        except ValidationError:
            log.error("unreadable event skipped by the feed", topic=message.topic, offset=message.offset)
            continue
        source = by_stream.get(envelope.stream_type)
        record_id = envelope.payload.get(source.id_field) if source else None
        if record_id is not None:
            key = (source, str(record_id))
            changed[key] = max(changed.get(key, 0), envelope.version)
    return changed


async def registry_settled(admin: AIOKafkaAdminClient, groups: set[str], offsets: dict[TopicPartition, int],
                           wait_seconds: float) -> bool:
    """Whether every registry group committed past ``offsets`` (each partition's last event of the poll) within
    ``wait_seconds``; one ask per group covers every partition still waiting."""
    deadline = time.monotonic() + wait_seconds
    waiting = {group: dict(offsets) for group in groups}
    while waiting:
        for group in sorted(waiting):
            pending = waiting[group]
            committed = await admin.list_consumer_group_offsets(group, partitions=list(pending))
            for tp, offset in list(pending.items()):
                if committed.get(tp) is not None and committed[tp].offset > offset:
                    del pending[tp]
            if not pending:
                del waiting[group]
        if not waiting:
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(CATCH_UP_POLL_SECONDS)
    return True


def registry_groups(group_of: RegistryGroup, changed: dict[tuple[FeedSource, str], int]) -> set[str]:
    """The consumer groups of the registry projections holding ``changed`` (the live generation's)."""
    groups = {group_of(source.projection) for source, _ in changed}
    return {group for group in groups if group is not None}


async def registry_states(reads: ReadModels, changed: dict[tuple[FeedSource, str], int], wait_seconds: float) -> list[tuple]:
    """(source, document) of every changed record, once the registry holds it at the changed version or later;
    a record still behind after ``wait_seconds`` (its stream parked behind a dead letter) goes out as it stands,
    a record the registry does not hold at all is left to its next change, both logged."""
    deadline, pending, found = time.monotonic() + wait_seconds, dict(changed), []
    while pending:
        by_collection: dict[FeedSource, list[str]] = {}
        for source, record_id in pending:
            by_collection.setdefault(source, []).append(record_id)
        for source, ids in by_collection.items():
            async for document in reads.read_model(source.projection, source.collection).find({"_id": {"$in": ids}}):
                key = (source, str(document["_id"]))
                if document.get("_version", 0) >= pending[key] or time.monotonic() > deadline:
                    found.append((source, document))
                    del pending[key]
        if pending and time.monotonic() > deadline:
            log.warning("feed: records the registry does not hold, not published",
                        records=[record_id for _, record_id in pending][:20], missing=len(pending))
            break
        if pending:
            await asyncio.sleep(CATCH_UP_POLL_SECONDS)
    return found


async def publish_states(broker, context: str, states: list[tuple], routes: dict[Any, list[Publication]]) -> None:
    """Every state to every topic of its kind (its message made once per grant); returns once the broker confirmed
    them all."""
    sent, counted = [], Counter()
    for source, document in states:
        publications = routes[source.entity]
        for publication, message in zip(publications, feed_messages(source, context, document,
                                                                    [p.grant for p in publications])):
            sent.append(await broker.publish(message, publication.topic, key=message.key(), no_confirm=True,
                                             headers={"schema_version": str(message.schema_version),
                                                      "entity": message.entity.value}))
            counted[source.entity.value, publication.topic] += 1
    await asyncio.gather(*sent)
    for labels, count in counted.items():
        FEED_MESSAGES.labels(*labels).inc(count)


async def publish_poll(consumer: AIOKafkaConsumer, admin: AIOKafkaAdminClient, broker, reads: ReadModels,
                       group_of: RegistryGroup, batches: dict, context: str, by_stream: dict[str, FeedSource],
                       routes: dict[Any, list[Publication]], wait_seconds: float) -> None:
    """One poll's events, every partition together: once the registry has dealt with them, the changed records'
    states to every topic, then each partition's offset past its last event."""
    changed = changed_records(chain.from_iterable(batches.values()), by_stream)
    last = {tp: messages[-1].offset for tp, messages in batches.items()}
    groups = registry_groups(group_of, changed)
    if groups:  # the registry's progress says when to stop waiting (it waited at most wait_seconds)
        await registry_settled(admin, groups, last, wait_seconds)
    states = await registry_states(reads, changed, 0.0 if groups else wait_seconds)
    lost = set(batches) - consumer.assignment()
    if lost:  # handed to another replica while waiting: it publishes newer states of those records, not us
        theirs = changed_records(chain.from_iterable(batches[tp] for tp in lost), by_stream)
        states = [(source, document) for source, document in states if (source, str(document["_id"])) not in theirs]
    await publish_states(broker, context, states, routes)
    if len(lost) < len(last):
        await consumer.commit({tp: OffsetAndMetadata(offset + 1, "") for tp, offset in last.items() if tp not in lost})


def feed_publisher(context: str, sources: list[FeedSource], group: str = "feed"):
    """The task publishing the feeds of ``context``'s registry records over its ports (the service's settings, its
    read models, its registry projections' consumer groups), run by the context's bootstrap as a background task;
    its consumer group is ``<ns>.<context>-<group>`` (another group replays the event topic from the start: same
    states, same versions)."""
    by_stream = {source.stream_type: source for source in sources}

    async def publish_feeds(settings: Settings, reads: ReadModels, group_of: RegistryGroup) -> None:
        config = feed_settings()
        routes = {source.entity: publications(source.entity, subscribers(), settings.namespace) for source in sources}
        await ensure_topics(settings, sorted({p.topic for topics in routes.values() for p in topics}), COMPACTED)
        broker = feed_broker(settings)
        admin = AIOKafkaAdminClient(**settings.kafka_client_options())
        consumer = AIOKafkaConsumer(events_topic(context, settings.namespace), **settings.kafka_client_options(),
                                    group_id=f"{settings.namespace}.{context}-{group}", enable_auto_commit=False,
                                    auto_offset_reset="earliest",
                                    session_timeout_ms=settings.consumer_session_timeout_ms,
                                    heartbeat_interval_ms=settings.consumer_heartbeat_interval_ms)
        try:
            await broker.start()
            await admin.start()
            await consumer.start()
            while True:
                batches = await consumer.getmany(timeout_ms=POLL_MS, max_records=POLL_RECORDS)
                if batches:
                    await publish_poll(consumer, admin, broker, reads, group_of, batches, context, by_stream, routes,
                                       config.wait_seconds)
        finally:
            await consumer.stop()
            await admin.close()
            await broker.stop()

    async def run(settings: Settings, reads: ReadModels, group_of: RegistryGroup) -> None:
        await keep_running(f"{context} feed publisher", lambda: publish_feeds(settings, reads, group_of))

    run.__name__ = f"{context}_feeds"
    return run
