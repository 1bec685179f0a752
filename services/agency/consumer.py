"""The ingest consumer (采集消费): a context's ``<ns>.<context>.ingest`` topic applied and answered.

Each poll's records are applied by the context's ``IngestApplier`` (services.agency.ingest): the creates of every
partition of the poll together (services.agency.ingest_batch, ``BULK_RECORDS`` a call: an initial load pays the
dozen round trips once per thousand records, not once per partition and two hundred), the rest one by one,
different records concurrently and one record's deliveries in order; answers go to the agency's replies topic
through a producer of large batches (a thousand answers are a few produce requests, not one wait per 16 KB), and
a partition's offsets are committed only once every answer is on the broker, so a crash redelivers and the claims
make the redelivery harmless. A failure that is not the record's fault rewinds to the record and retries; a
record whose handler keeps crashing is answered as a defect.
"""

from __future__ import annotations

import asyncio
from collections import Counter as Tally
from typing import Any, Awaitable, Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.structs import OffsetAndMetadata
from pydantic import ValidationError
from pymongo.errors import PyMongoError

from contracts.ingest import IngestCommand, IngestReply, Reason, owner_topic, replies_topic
from services.agency.ingest import EntityHandler, IngestApplier
from services.agency.ingest_batch import apply_many
from services.kernel.base.logging import get_logger
from services.kernel.messaging.topics import ensure_topics

log = get_logger(__name__)


class ReplyPublisher:
    """Answers on the agency's replies topic (created on first use), keyed by its record id; through ``producer``
    when given (``bulk_producer``), else the runtime's."""

    def __init__(self, runtime, producer: AIOKafkaProducer | None = None) -> None:
        self.runtime = runtime
        self.producer = producer
        self.known: set[str] = set()

    async def publish(self, reply: IngestReply) -> asyncio.Future:
        """Hand the answer to the producer; await the returned future before committing the input."""
        topic = replies_topic(reply.agency, self.runtime.settings.namespace)
        if topic not in self.known:
            await ensure_topics(self.runtime.settings, [topic])
            self.known.add(topic)
        producer = self.producer or self.runtime.producer
        return await producer.send(topic, reply.model_dump_json().encode(), key=reply.record_id.encode())


#: bytes of one partition's batch of answers or forwards: the runtime's producer keeps aiokafka's 16 KB (its
#: events topics may have a lowered ``max.message.bytes``, services.kernel.messaging.parking), so a thousand
#: answers of ~1 KB would wait on sixty produce round trips one after the other; the replies and ingest topics
#: keep the broker's 1 MB default, and a quarter of it leaves room
BULK_BATCH_BYTES = 256 * 1024


def bulk_producer(settings) -> AIOKafkaProducer:
    """A producer for many small messages at once (answers, forwarded records): acks=all and idempotent as the
    runtime's (services.kernel.messaging.runtime.kafka_producer), with large batches."""
    return AIOKafkaProducer(**settings.kafka_client_options(), acks="all", enable_idempotence=True, linger_ms=5,
                            max_batch_size=BULK_BATCH_BYTES)


POLL_MS = 200
#: records fetched per poll at most (every partition together): a few bulk calls, and well inside aiokafka's
#: max_poll_interval_ms (300 s) even on a machine loaded many times over
POLL_RECORDS = 3000
RETRY_SECONDS = 0.5


def ingest_consumer(context: str, handlers: list[EntityHandler], service_for: Callable[[Any], Any]):
    """A ServiceSpec background task: consume ``<ns>.<context>.ingest``, apply, answer, commit.

    Offsets are committed only after the answers are published, so a crash redelivers (and the claims make
    the redelivery harmless). A failure that is not the record's fault rewinds to the record and retries."""
    by_type = {handler.entity_type: handler for handler in handlers}

    async def consume_ingest(rt) -> None:
        settings = rt.settings
        topic = owner_topic(context, settings.namespace)
        await ensure_topics(settings, [topic])
        applier = IngestApplier(context, rt.db, rt.claims, by_type, service_for(rt))
        producer = bulk_producer(settings)
        publisher = ReplyPublisher(rt, producer)
        consumer = AIOKafkaConsumer(topic, **settings.kafka_client_options(), group_id=f"{settings.namespace}.{context}-ingest",
                                    enable_auto_commit=False, auto_offset_reset="earliest",
                                    session_timeout_ms=settings.consumer_session_timeout_ms,
                                    heartbeat_interval_ms=settings.consumer_heartbeat_interval_ms)
        try:  # a cancel during start() must stop it too, or a half-joined member keeps partitions nobody reads
            await producer.start()
            await consumer.start()
            while True:
                batches = await consumer.getmany(timeout_ms=POLL_MS, max_records=POLL_RECORDS)
                if batches:
                    await _settle_poll(consumer, batches, applier, publisher, context)
        finally:
            await consumer.stop()
            await producer.stop()

    async def run(rt) -> None:
        await keep_running(f"{context} ingest consumer", lambda: consume_ingest(rt))

    run.__name__ = f"{context}_ingest"
    return run


async def keep_running(what: str, start: Callable[[], Awaitable[None]]) -> None:
    """A background consumer that fails (Kafka down at start, a coordinator move) starts again after a pause."""
    while True:
        try:
            await start()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - log, wait, start again: nothing may stop silently
            log.warning(f"{what} stopped; restarting", error=repr(error))
            await asyncio.sleep(2 * RETRY_SECONDS)


#: records of one partition applied at once (different records; one record's deliveries stay in order)
RECORDS_IN_FLIGHT = 16
#: creates applied together (services.agency.ingest_batch): big enough for few round trips (a dozen per call),
#: small enough that deciding them (CPU, which yields every 50) does not hold the event loop past a heartbeat
BULK_RECORDS = 1000


async def _settle_poll(consumer, batches: dict, applier: IngestApplier, publisher: ReplyPublisher,
                       context: str) -> None:
    """A poll's creates of every partition applied together, then each partition's rest and its commit.

    One record's deliveries share a partition (keyed by agency and record id), so taking the creates of every
    partition at once changes no record's order; a partition commits once the bulk answers and its own are sent."""
    bulk_sent: list[asyncio.Future] = []
    answered = await _settle_in_bulk([message for messages in batches.values() for message in messages], applier,
                                     publisher, context, bulk_sent)
    # partitions in parallel (a record's deliveries share one partition, so order per record holds)
    await asyncio.gather(*(_settle_partition(consumer, tp, messages, applier, publisher, context,
                                             answered, bulk_sent) for tp, messages in batches.items()))


async def _settle_partition(consumer, tp, messages, applier: IngestApplier, publisher: ReplyPublisher,
                            context: str, answered: set[tuple[int, int]], bulk_sent: list[asyncio.Future]) -> None:
    """Apply a partition's fetched records not ``answered`` in bulk yet, different record keys concurrently,
    then commit (once the bulk answers ``bulk_sent`` are on the broker too).

    A failure that is not the record's fault seeks back to the earliest failed record; the records after it
    that did succeed are delivered again and answered from their stored answers."""
    sent: list[asyncio.Future] = list(bulk_sent)
    by_key: dict[bytes | None, list] = {}
    for message in messages:
        if (message.partition, message.offset) not in answered:
            by_key.setdefault(message.key, []).append(message)
    failed: list[int] = []
    gate = asyncio.Semaphore(RECORDS_IN_FLIGHT)

    async def one_key(queue: list) -> None:
        async with gate:
            for message in queue:
                if not await _settle_one(message, applier, publisher, context, sent):
                    failed.append(message.offset)
                    return

    await asyncio.gather(*(one_key(queue) for queue in by_key.values()))
    if failed:
        consumer.seek(tp, min(failed))
        await asyncio.sleep(RETRY_SECONDS)
    done = min(failed) if failed else messages[-1].offset + 1
    if done > messages[0].offset:
        try:
            await asyncio.gather(*sent)  # every answer on the broker before the input is committed
            await consumer.commit({tp: OffsetAndMetadata(done, "")})
        except KafkaError as error:
            log.warning("ingest offset commit failed (a redelivery repeats the stored answers)", error=repr(error))


async def _settle_in_bulk(messages, applier: IngestApplier, publisher: ReplyPublisher, context: str,
                          sent: list[asyncio.Future]) -> set[tuple[int, int]]:
    """The creates among ``messages`` applied together (services.agency.ingest_batch) and answered; the
    (partition, offset) answered. Whatever it could not settle (or all, if the store failed) is left to the
    one-by-one path."""
    commands: dict[tuple[int, int], IngestCommand] = {}
    deliveries = Tally(message.key for message in messages)
    for message in messages:
        if deliveries[message.key] > 1:
            continue  # a record delivered twice in one poll keeps its order on the one-by-one path
        try:
            commands[(message.partition, message.offset)] = IngestCommand.model_validate_json(message.value)
        except ValidationError:
            continue  # _settle_one skips it loudly
    offsets, answered = list(commands), set()
    for low in range(0, len(offsets), BULK_RECORDS):
        part = offsets[low:low + BULK_RECORDS]
        try:
            answers = await apply_many(applier, [commands[offset] for offset in part])
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - an outage or a defect: the one-by-one path retries or answers
            log.warning("ingest batch failed; applying its records one by one", context=context, error=repr(error))
            return answered
        for index, reply in answers.items():
            sent.append(await publisher.publish(reply))
            answered.add(part[index])
    return answered


async def _settle_one(message, applier: IngestApplier, publisher: ReplyPublisher, context: str,
                      sent: list[asyncio.Future]) -> bool:
    """Apply and answer one record; False when it must be retried."""
    try:
        command = IngestCommand.model_validate_json(message.value)
    except ValidationError as error:  # the gate wrote it: a bug, not the agency's; skip it loudly
        log.error("unreadable ingest command skipped", context=context, offset=message.offset, error=repr(error))
        return True
    try:
        reply = await applier.apply(command)
        sent.append(await publisher.publish(reply))
        return True
    except asyncio.CancelledError:
        raise
    except (PyMongoError, KafkaError, OSError, RuntimeError) as error:
        log.warning("ingest apply failed, retrying", context=context, record=command.record.record_id,
                    error=repr(error))
    except Exception as error:  # noqa: BLE001 - a bug in a handler must not stall the partition silently
        where = (message.topic, message.partition, message.offset)
        _crashes[where] = _crashes.get(where, 0) + 1
        log.exception("ingest apply crashed", context=context, record=command.record.record_id,
                      attempt=_crashes[where], error=repr(error))
        if _crashes[where] >= MAX_CRASHES:
            # A defect, not the record's fault and not an outage: answer the agency (it may resend once fixed; a
            # resend is judged again) instead of stalling every record behind this one on the partition.
            _crashes.pop(where, None)
            reason = Reason(field="", rule="registry.defect",
                            msg=f"the {context} registry could not apply this record ({type(error).__name__}); "
                                "it is logged for the operators; resend it later",
                            msg_zh=f"{context} 登记服务处理该记录时出错，已记录待运维处理，请稍后重新报送")
            sent.append(await publisher.publish(applier._rejected(command, [reason])))
            return True
    return False


#: crashes per (topic, partition, offset): a record whose handler keeps crashing is answered, not retried forever
MAX_CRASHES = 5
_crashes: dict[tuple[str, int, int], int] = {}
