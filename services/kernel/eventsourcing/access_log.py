"""The access log (查询留痕) as a kernel mechanism: a read of a person-level record leaves an event.

Each context keeps a small second event store (collection ``access_log``) whose own relay publishes to the
shared access-log topic, so a read is recorded with the same guarantee as a write (stored → published, even
across a crash) without a round trip to Kafka on the read path. It is an outbox, not the log's home: an entry
leaves it ``YBSS_ACCESS_OUTBOX_RETENTION_DAYS`` after it was published (a TTL index on ``published_at``; an
unpublished entry never expires); the topic and the audit's access store keep the log.
"""

from __future__ import annotations

from datetime import datetime

from uuid6 import uuid7

from contracts.access import ACCESS_STREAM_TYPE, MAX_RECORDS_NAMED, AccessedRecord, RecordAccessed
from contracts.envelope import EventEnvelope, utc_now
from services.kernel.eventsourcing.aggregate import CommandContext
from services.kernel.eventsourcing.ports import EventStorePort
from services.kernel.eventsourcing.ttl import ensure_ttl

ACCESS_COLLECTION = "access_log"
PUBLISHED_TTL_INDEX = "published_retention"
STREAM_PREFIX = "access-"  #: an access entry is a stream of one event: ``access-<UUIDv7>``


def streams_before(moment: datetime) -> dict[str, str]:
    """A filter on stream ids: the access entries recorded before ``moment`` (by their UUIDv7's milliseconds)."""
    stamp = f"{int(moment.timestamp() * 1000):012x}"
    return {"$gte": STREAM_PREFIX, "$lt": f"{STREAM_PREFIX}{stamp[:8]}-{stamp[8:]}-0000-0000-000000000000"}


class AccessLog:
    def __init__(self, store: EventStorePort, context: str) -> None:
        self.store = store
        self.context = context

    async def ensure_retention(self, days: int) -> int:
        """Published entries leave the outbox after ``days`` (the store must be the MongoDB one)."""
        return await ensure_ttl(self.store.events, "published_at", PUBLISHED_TTL_INDEX, days * 86400)

    async def record(self, ctx: CommandContext, record_type: str, record_id: str | None, route: str,
                     division_code: str | None = None, method: str = "GET", lookup: dict[str, str] | None = None,
                     result_count: int = 1, outcome: str = "read",
                     records: list[AccessedRecord] | None = None) -> EventEnvelope:
        event = RecordAccessed(context=self.context, record_type=record_type, record_id=record_id, route=route,
                               method=method, lookup=lookup or {}, result_count=result_count, outcome=outcome,
                               records=(records or [])[:MAX_RECORDS_NAMED])
        now = utc_now()
        stream_id = f"{STREAM_PREFIX}{uuid7()}"  # time-ordered: a range of ids is a range of time
        envelope = EventEnvelope(
            event_type=event.event_type(), stream_id=stream_id, stream_type=ACCESS_STREAM_TYPE, version=1,
            occurred_at=now, recorded_at=now, actor=ctx.actor, correlation_id=ctx.correlation_id,
            causation_id=ctx.causation_id, division_code=division_code, payload=event.model_dump(mode="json"))
        await self.store.append(stream_id, 0, [envelope])
        return envelope
