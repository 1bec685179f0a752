"""The audit archive (审计档案): every event of every context, and every access-log entry in a store of its own.

It is a projection like any other (sources: every context's topic and the access log), so it gets the
kernel's per-stream checkpoints (a redelivery is dropped, a gap is never applied out of order), its
dead-letter topic, and ``ybss rebuild --context audit --projection audit-archive``. Each envelope is kept
whole, keyed by event id: history, time travel, metrics and reports are all computed from it, "as of" a
``recorded_at``, so a past month reads the same whatever was corrected since.

Access-log entries (查询留痕) are the bulk of the traffic (about 15 reads per change) and are only ever read by
the access routes, so they go to their own collection with three indexes instead of the events' five, and
expire after ``YBSS_AUDIT_ACCESS_LOG_RETENTION_DAYS`` (a TTL index; default 180 days, the six months of
《网络安全法》第二十一条). Kafka keeps the topic forever, so a longer retention can be replayed in.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING

from contracts.access import ACCESS_STREAM_TYPE
from contracts.contexts import names
from contracts.envelope import EventEnvelope, utc_now
from services.audit.config import audit_settings
from services.kernel.messaging.projection import Handler, Projection, ProjectionTx

NAME = "audit-archive"
EVENTS = "events"  #: logical collection of archived envelopes
ACCESS = "access"  #: logical collection of archived access-log entries (their own store, with a retention)
RETENTION_INDEX = "retention"  #: the TTL index of ACCESS, on recorded_at
ACCESS_SOURCE = "access"  #: events_topic("access") is contracts.topics.access_log_topic: <ns>.access.events


class _EveryEventType(dict):
    """The archive keeps every event type, including types published after this code was written."""

    def __init__(self, handler: Handler) -> None:
        super().__init__()
        self._handler = handler

    def get(self, key: str, default: Any = None) -> Handler:  # noqa: ARG002 - same signature as dict.get
        return self._handler

    def __contains__(self, key: object) -> bool:
        return True


def archived(envelope: EventEnvelope, division_code: str | None) -> dict[str, Any]:
    """The stored shape: the envelope as published, plus the division it counts under."""
    document = envelope.model_dump(mode="python")
    document["_id"] = str(document.pop("event_id"))
    document["actor"]["channel"] = str(document["actor"]["channel"])
    document["division_code"] = division_code
    return document


def retention_seconds() -> int:
    return audit_settings().access_log_retention_days * 86400


async def archive_access(tx: ProjectionTx) -> None:
    """An access entry, once per event id: its stream's checkpoint is not kept (services.audit.retention drops
    those of older entries, since every entry is a stream of its own), so a redelivery must be harmless here."""
    envelope = tx.envelope
    if envelope.recorded_at < utc_now() - timedelta(seconds=retention_seconds()):
        return  # past its retention already (a replay from offset 0): the TTL index would delete it at once
    document = archived(envelope, envelope.division_code)
    await tx.collection(ACCESS).update_one({"_id": document.pop("_id")}, {"$setOnInsert": document}, upsert=True,
                                           session=tx.session)


async def archive_event(tx: ProjectionTx) -> None:
    envelope = tx.envelope
    if envelope.stream_type == ACCESS_STREAM_TYPE:
        await archive_access(tx)
        return
    events = tx.collection(EVENTS)
    division = envelope.division_code or envelope.payload.get("division_code")
    if not division and envelope.version > 1:  # older producers: the stream's division from its first events
        earlier = await events.find_one({"stream_id": envelope.stream_id, "division_code": {"$ne": None}},
                                        {"division_code": 1}, session=tx.session)
        division = earlier["division_code"] if earlier else None
    # An insert, not an upsert: the runner applies an event at most once per generation (the checkpoint commits
    # in the same transaction), and an upsert costs the server a lookup per event on a rebuild.
    await events.insert_one(archived(envelope, division), session=tx.session)


archive = Projection(NAME, sources=[*names(), ACCESS_SOURCE], collections=[EVENTS, ACCESS])
archive.handlers = _EveryEventType(archive_event)
# Each index costs every archived event a write; these serve history (stream, version), as-of scans by entity
# type and by division, the log (newest first, by actor); other filters narrow them.
archive.index(EVENTS, [("stream_id", ASCENDING), ("version", ASCENDING)], unique=True)
archive.index(EVENTS, [("recorded_at", DESCENDING)])  # the log's order
archive.index(EVENTS, [("stream_type", ASCENDING), ("recorded_at", ASCENDING)])
archive.index(EVENTS, [("division_code", ASCENDING), ("recorded_at", DESCENDING)])
archive.index(EVENTS, [("actor.id", ASCENDING), ("recorded_at", DESCENDING)])
# the access store: newest first (and the retention), by reader, by record read
archive.index(ACCESS, [("recorded_at", ASCENDING)], name=RETENTION_INDEX, expireAfterSeconds=retention_seconds())
archive.index(ACCESS, [("actor.id", ASCENDING), ("recorded_at", DESCENDING)])
archive.index(ACCESS, [("payload.record_id", ASCENDING), ("recorded_at", DESCENDING)])
