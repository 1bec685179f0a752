"""The gate's two Kafka loops: agencies' records in, answers to the batch status out.

``gate``: reads every ``<ns>.ingest.<agency>`` topic (a pattern, so an unknown agency's topic is read and
answered too), checks each record (services.ingest.gate), links or queues its free-text address and forwards it
to the owning registry's ``<ns>.<context>.ingest``; a refused record is answered on the agency's replies topic
at once. Offsets are committed after the forwards and answers are on the broker: a crash re-reads, and the
registries' claims make the re-read harmless. ``batches``: reads every replies topic into the batch status.
A message's ``batch_id`` and ``row`` headers are checked first (services.ingest.headers): another agency's
batch or a malformed row is answered rejected, never retried, and never written into a batch it does not own.
"""

from __future__ import annotations

import asyncio
import re
from typing import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.structs import OffsetAndMetadata
from pymongo import UpdateOne

from contracts.ingest import OWNERS, IngestCommand, IngestReply, Reason, agency_topic, content_hash, owner_topic, replies_topic
from services.ingest import addresses
from services.ingest.config import agencies, ingest_settings
from services.ingest.gate import check, parse, unknown_agency
from services.ingest.headers import BatchOwners
from services.agency.consumer import bulk_producer, keep_running
from services.agency.ingest import INGEST_REJECTS
from services.kernel.base.logging import get_logger
from services.kernel.messaging.topics import ensure_topics

log = get_logger(__name__)
BATCH_RECORDS = "batch_records"
RETRY_SECONDS = 1.0


class Forwarder:
    """Publishes to the registries' ingest topics and the agencies' replies topics (creating them once), through
    ``producer`` when given (services.agency.consumer.bulk_producer: an agency's batch is thousands of small
    messages), else the runtime's."""

    def __init__(self, rt, producer: AIOKafkaProducer | None = None) -> None:
        self.rt = rt
        self.producer = producer
        self.known: set[str] = set()

    async def _send(self, topic: str, value: bytes, key: str) -> asyncio.Future:
        if topic not in self.known:
            await ensure_topics(self.rt.settings, [topic])
            self.known.add(topic)
        return await (self.producer or self.rt.producer).send(topic, value, key=key.encode())

    async def forward(self, command: IngestCommand) -> asyncio.Future:
        topic = owner_topic(OWNERS[command.record.entity_type], self.rt.settings.namespace)
        return await self._send(topic, command.model_dump_json().encode(),
                                f"{command.agency}:{command.record.record_id}")

    async def answer(self, reply: IngestReply) -> asyncio.Future:
        if reply.status == "rejected":
            for reason in reply.reasons:
                INGEST_REJECTS.labels(reply.agency, reason.rule).inc()
        return await self._send(replies_topic(reply.agency, self.rt.settings.namespace),
                                reply.model_dump_json().encode(), reply.record_id)


async def admit(rt, forwarder: Forwarder, agency_id: str, value: bytes, key: str, batch_id: str | None,
                row: int | None, header_reasons: list[Reason] = ()) -> asyncio.Future:
    """One message from an agency's topic: refused with reasons, queued for address review, or forwarded."""
    checked = parse(value, key)
    agency = agencies().get(agency_id)
    reasons: list[Reason] = [*header_reasons, *checked.reasons]
    if agency is None:
        reasons = [unknown_agency(agency_id)]
    elif checked.record is not None:
        reasons += check(agency, checked.record)
    record = checked.record
    if reasons:
        return await forwarder.answer(IngestReply(
            agency=agency_id, record_id=checked.record_id, status="rejected", batch_id=batch_id, row=row,
            entity_type=record.entity_type if record else None, operation=record.operation if record else None,
            reasons=reasons,
            content_hash=content_hash(record) if record else None))
    command = IngestCommand(agency=agency.id, jurisdiction=agency.jurisdiction, record=record,
                            content_hash=content_hash(record), batch_id=batch_id, row=row)
    if addresses.needs_address(command):
        linked = await addresses.resolve(rt.db, agency, command, rt.settings)
        if linked is None:
            return await forwarder.answer(IngestReply(
                agency=agency.id, record_id=record.record_id, status="review", entity_type=record.entity_type,
                operation=record.operation,
                content_hash=command.content_hash, batch_id=batch_id, row=row, reasons=[Reason(
                    field="address_text", rule="address.review", msg="the address waits for a collector to pick it",
                    msg_zh="地址待人工确认（地址治理）")]))
        command = linked
    return await forwarder.forward(command)


async def _partition_loop(consumer: AIOKafkaConsumer, handle: Callable[[object], Awaitable[object]], what: str) -> None:
    """Handle each message, await what it sent, commit; a failure rewinds to the message and retries."""
    async def settle(tp, messages) -> None:
        done, sent = None, []
        for message in messages:
            try:
                result = await handle(message)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - matcher/MongoDB/Kafka down: retry, never drop
                log.warning(f"{what} failed, retrying", error=repr(error), topic=tp.topic, offset=message.offset)
                consumer.seek(tp, message.offset)
                await asyncio.sleep(RETRY_SECONDS)
                break
            if isinstance(result, asyncio.Future):
                sent.append(result)
            done = message.offset + 1
        if done is not None:
            try:
                await asyncio.gather(*sent)
                await consumer.commit({tp: OffsetAndMetadata(done, "")})
            except KafkaError as error:
                log.warning(f"{what} commit failed; a re-read is harmless", error=repr(error))

    while True:
        batches = await consumer.getmany(timeout_ms=200, max_records=2000)
        await asyncio.gather(*(settle(tp, messages) for tp, messages in batches.items()))


def _consumer(rt, group: str, pattern: str) -> AIOKafkaConsumer:
    settings = rt.settings
    consumer = AIOKafkaConsumer(**settings.kafka_client_options(), group_id=f"{settings.namespace}.{group}",
                                enable_auto_commit=False, auto_offset_reset="earliest",
                                metadata_max_age_ms=ingest_settings().metadata_refresh_ms,
                                session_timeout_ms=settings.consumer_session_timeout_ms,
                                heartbeat_interval_ms=settings.consumer_heartbeat_interval_ms)
    consumer.subscribe(pattern=pattern)
    return consumer


async def known_topics(rt) -> None:
    """Every configured agency's topic and replies topic exists before anyone subscribes or publishes."""
    ns = rt.settings.namespace
    await ensure_topics(rt.settings, [name for agency in agencies() for name in
                                      (agency_topic(agency, ns), replies_topic(agency, ns))])


async def gate(rt) -> None:
    ns = re.escape(rt.settings.namespace)
    owners = BatchOwners(rt.db)

    async def run() -> None:
        await known_topics(rt)
        producer = bulk_producer(rt.settings)
        forwarder = Forwarder(rt, producer)

        async def admit_message(message) -> asyncio.Future:
            agency_id = message.topic.rsplit(".", 1)[1]
            headers = await owners.check(agency_id, message)
            return await admit(rt, forwarder, agency_id, message.value, (message.key or b"").decode(errors="replace"),
                               headers.batch_id, headers.row, headers.reasons)

        # every agency's topic, not the ingest service's own events nor its declarations hand-off
        # (<ns>.ingest.events, <ns>.ingest.ingest: services/ingest/declarations)
        consumer = _consumer(rt, "ingest-gate", rf"^{ns}\.ingest\.(?!(?:events|ingest)$)[a-z0-9][a-z0-9-]*$")
        try:  # stopped even when cancelled during start (a half-joined member would keep its partitions)
            await producer.start()
            await consumer.start()
            await _partition_loop(consumer, admit_message, "ingest gate")
        finally:
            await consumer.stop()
            await producer.stop()

    await keep_running("ingest gate", run)


async def record_reply(db, message, owners: BatchOwners | None = None) -> None:
    """One answer into the batch status (only answers to records of a batch are kept, and only into a batch of
    the agency whose replies topic carried it)."""
    await record_replies(db, [message], owners or BatchOwners(db))


async def record_replies(db, messages, owners: BatchOwners) -> None:
    """A poll's answers into the batch status in one ordered bulk write (a record answered twice: the later
    answer wins, as it would one by one) — an initial load answers thousands a second."""
    operations = [operation for message in messages if (operation := await _status_update(message, owners))]
    if operations:
        await db[BATCH_RECORDS].bulk_write(operations, ordered=True)


async def _status_update(message, owners: BatchOwners) -> UpdateOne | None:
    try:
        reply = IngestReply.model_validate_json(message.value)
    except ValueError:
        log.error("unreadable reply skipped", topic=message.topic, offset=message.offset)
        return None
    if reply.batch_id is None:
        return None
    topic_agency = message.topic.rsplit(".", 2)[-2]
    if await owners.owner(reply.batch_id) != topic_agency:
        log.error("reply naming another agency's batch skipped", topic=message.topic, offset=message.offset,
                  batch_id=reply.batch_id[:64])
        return None
    return UpdateOne(
        {"_id": f"{reply.batch_id}:{reply.row if reply.row is not None else reply.record_id}"},
        {"$set": {"batch_id": reply.batch_id, "record_id": reply.record_id, "row": reply.row, "status": reply.status,
                  "entity_type": reply.entity_type, "entity_id": reply.entity_id, "version": reply.version,
                  "reasons": [r.model_dump() for r in reply.reasons],
                  "address_link": reply.address_link.model_dump() if reply.address_link else None,
                  "replied_at": reply.replied_at}}, upsert=True)


async def _bulk_loop(consumer: AIOKafkaConsumer, handle_all: Callable[[list], Awaitable[None]], what: str) -> None:
    """Handle each partition's fetched messages together, then commit; a failure rewinds and retries them."""
    async def settle(tp, messages) -> None:
        try:
            await handle_all(messages)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - MongoDB down: retry, never drop
            log.warning(f"{what} failed, retrying", error=repr(error), topic=tp.topic, offset=messages[0].offset)
            consumer.seek(tp, messages[0].offset)
            await asyncio.sleep(RETRY_SECONDS)
            return
        try:
            await consumer.commit({tp: OffsetAndMetadata(messages[-1].offset + 1, "")})
        except KafkaError as error:
            log.warning(f"{what} commit failed; a re-read is harmless", error=repr(error))

    while True:
        batches = await consumer.getmany(timeout_ms=200, max_records=2000)
        await asyncio.gather(*(settle(tp, messages) for tp, messages in batches.items()))


async def batches(rt) -> None:
    ns = re.escape(rt.settings.namespace)

    async def run() -> None:
        await known_topics(rt)
        await rt.db[BATCH_RECORDS].create_index([("batch_id", 1), ("status", 1)])
        await rt.db[addresses.REVIEWS].create_index([("state", 1), ("queued_at", 1), ("_id", 1)])  # review worklist keyset
        consumer = _consumer(rt, "ingest-batches", rf"^{ns}\.ingest\.[a-z0-9][a-z0-9-]*\.replies$")
        try:  # stopped even when cancelled during start (a half-joined member would keep its partitions)
            await consumer.start()
            owners = BatchOwners(rt.db)
            await _bulk_loop(consumer, lambda messages: record_replies(rt.db, messages, owners), "batch status")
        finally:
            await consumer.stop()

    await keep_running("batch status", run)

