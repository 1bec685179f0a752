"""FastStream subscribers for projection runners, with manual, after-the-fact offset commits."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka.errors import KafkaError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pymongo.errors import PyMongoError

from services.kernel.logging import get_logger
from services.kernel.projection import ProjectionRunner

log = get_logger(__name__)

REWIND_BACKOFF_SECONDS = 0.5


async def _raw_bytes(message: Any) -> bytes:
    """Hand the runner the record's bytes untouched: it decodes (and dead-letters) envelopes itself."""
    return message.body


def subscribe(broker: KafkaBroker, runner: ProjectionRunner) -> None:
    """One subscriber per projection: messages of a partition are handled one at a time, in order."""

    @broker.subscriber(
        *runner.topics,
        group_id=runner.group_id,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        max_poll_records=100,
        session_timeout_ms=runner.session_timeout_ms,
        heartbeat_interval_ms=runner.heartbeat_interval_ms,
        decoder=_raw_bytes,
    )
    async def on_event(body: bytes, message: KafkaMessage) -> None:
        record = message.raw_message
        try:
            await runner.handle_record(
                record.value, record.key, list(record.headers or []), record.topic, record.partition, record.offset
            )
        except (PyMongoError, KafkaError, OSError) as error:
            # Infrastructure trouble, not the message's fault: rewind to this message and try again later.
            log.warning("projection infrastructure failure, rewinding", projection=runner.projection.name,
                        error=repr(error), topic=record.topic, partition=record.partition, offset=record.offset)
            await message.nack()
            await asyncio.sleep(REWIND_BACKOFF_SECONDS)
            return
        await message.ack()
