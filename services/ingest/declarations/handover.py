"""Verified declarations to their registry, and the registry's answers back (申报转登记): two Kafka loops.

``hand_over`` reads the ingest service's own events topic and publishes each ``DeclarationVerified``'s record
to the owning registry's ``<ns>.<context>.ingest`` as an ``IngestCommand`` of agency ``declarations`` — the
path agency records take, so the registry applies it with its own rules, at most once per (agency, record id,
content hash) however often this loop re-reads. The declaration id travels as the command's batch id (a
declaration is a batch of one record, in the batch status too), so the answer names its declaration.
``keep_answers`` reads ``<ns>.ingest.declarations.replies`` and keeps each answer on its declaration
(``DeclarationAnswered``, once per distinct answer). Offsets are committed after the sends / the appends.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timezone

from contracts.declarations import DECLARATIONS, DeclarationVerified
from contracts.envelope import Actor
from contracts.ingest import IngestCommand, IngestRecord, IngestReply, content_hash, owner_topic, replies_topic
from contracts.topics import events_topic
from services.agency.consumer import keep_running
from services.ingest.consumers import _consumer, _partition_loop
from services.ingest.declarations.bootstrap import for_runtime
from services.ingest.headers import BATCHES
from services.kernel.base.logging import get_logger
from services.kernel.eventsourcing.aggregate import CommandContext
from services.kernel.messaging.decoding import Undecodable, decode
from services.kernel.messaging.topics import ensure_topics

log = get_logger(__name__)
#: who keeps a registry's answer on a declaration
ANSWER_KEEPER = Actor(id="ingest-declarations", role="system", organisation_code="000000")


def command_of(envelope) -> IngestCommand:
    """The agency record a verified declaration hands to its registry."""
    event = DeclarationVerified.model_validate(envelope.payload)
    record = IngestRecord.model_validate(event.record)
    return IngestCommand(agency=DECLARATIONS, jurisdiction=envelope.division_code, record=record,
                         content_hash=content_hash(record), batch_id=event.declaration_id, row=0)


async def hand_over(rt) -> None:
    """Publish every verified declaration's record to its registry (a ServiceSpec background task)."""
    topic = events_topic("ingest", rt.settings.namespace)
    known: set[str] = set()

    async def handle(message) -> asyncio.Future | None:
        try:
            envelope = decode(message.value)
        except Undecodable:
            return None  # not an event: the projections' dead letters report it
        if envelope.event_type != DeclarationVerified.event_type():
            return None
        command = command_of(envelope)
        await rt.db[BATCHES].update_one({"_id": command.batch_id}, {"$setOnInsert": {
            "agency": DECLARATIONS, "total": 1, "source": "declaration", "entity_type": command.record.entity_type,
            "submitted_by": envelope.actor.id, "submitted_at": datetime.now(timezone.utc)}}, upsert=True)
        target = owner_topic(envelope.payload["registry_context"], rt.settings.namespace)
        if target not in known:
            await ensure_topics(rt.settings, [target])
            known.add(target)
        return await rt.producer.send(target, command.model_dump_json().encode(),
                                      key=f"{command.agency}:{command.record.record_id}".encode())

    await _read(rt, topic, "ingest-declaration-handover", handle, "declaration handover")


async def keep_answers(rt) -> None:
    """Keep each registry answer on its declaration (a ServiceSpec background task)."""
    topic = replies_topic(DECLARATIONS, rt.settings.namespace)
    service = for_runtime(rt)

    async def handle(message) -> None:
        try:
            reply = IngestReply.model_validate_json(message.value)
        except ValueError:
            log.error("unreadable declaration answer skipped", topic=message.topic, offset=message.offset)
            return None
        if reply.batch_id is None or reply.status not in ("accepted", "rejected"):
            return None
        ctx = CommandContext(actor=ANSWER_KEEPER, correlation_id=reply.batch_id, causation_id=reply.reply_id)
        await service.record_answer(reply.batch_id, reply, ctx)
        return None

    await _read(rt, topic, "ingest-declaration-answers", handle, "declaration answers")


async def _read(rt, topic: str, group: str, handle, what: str) -> None:
    """Read one topic in a consumer group, message by message, committing after each poll's work is done."""
    async def run() -> None:
        await ensure_topics(rt.settings, [topic])
        consumer = _consumer(rt, group, rf"^{re.escape(topic)}$")
        try:  # stopped even when cancelled during start (a half-joined member would keep its partitions)
            await consumer.start()
            await _partition_loop(consumer, handle, what)
        finally:
            await consumer.stop()

    await keep_running(what, run)
