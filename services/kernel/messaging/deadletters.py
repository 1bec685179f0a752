"""Parked events: a dead-lettered event and everything behind it on its stream, kept until a redrive.

Today's rule "never apply an event after a gap" is kept, but a gap no longer freezes a stream for good.
When an event is dead-lettered (handler failed every retry, or its predecessor never arrived) it is parked
here with its original bytes, source offset and reason, and its stream's checkpoint is marked ``parked``.
Later events of that stream are parked behind it (reason ``behind``) instead of each becoming a dead letter.
``ybss dlt list`` shows them; ``ybss dlt redrive`` re-applies a stream's parked events in version order once
the cause is fixed (a missing predecessor is fetched from the source context's event store, the log of
record), and un-parks the stream when nothing is left, so the live consumer resumes it.

The park and the un-park both write the stream's checkpoint document inside a transaction, so a live
consumer parking a new event and a redrive finishing the stream conflict instead of losing that event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import OperationFailure

from contracts.envelope import EventEnvelope
from services.kernel.base.logging import get_logger
from services.kernel.base.metrics import PARKED_EVENTS, REDRIVEN_EVENTS

if TYPE_CHECKING:
    from services.kernel.messaging.projection import ProjectionRunner

log = get_logger(__name__)


def _document(envelope: EventEnvelope | None, value: bytes | None, key: bytes | None,
              headers: list[tuple[str, bytes]] | None, source: dict | None, reason: str,
              error: BaseException | None) -> dict[str, Any]:
    source = source or {}
    return {
        "stream_id": envelope.stream_id if envelope else None,
        "version": envelope.version if envelope else None,
        "event_type": envelope.event_type if envelope else None,
        "event_id": str(envelope.event_id) if envelope else None,
        "reason": reason,
        "error": repr(error)[:4000] if error is not None else None,
        "value": value if value is not None else (envelope.to_bytes() if envelope else b""),
        "key": key,
        "headers": [[name, raw] for name, raw in headers or []],
        "source": source,
        "parked_at": datetime.now(timezone.utc),
        "attempts": 0,
    }


def _parked_id(envelope: EventEnvelope | None, source: dict | None) -> str:
    if envelope is not None:
        return f"{envelope.stream_id}@{envelope.version:012d}"
    source = source or {}
    return f"undecodable:{source.get('topic')}/{source.get('partition')}/{source.get('offset')}"


async def park_in_transaction(runner: "ProjectionRunner", session: AsyncClientSession | None,
                              envelope: EventEnvelope | None, value: bytes | None, key: bytes | None,
                              headers: list[tuple[str, bytes]] | None, source: dict | None, reason: str,
                              error: BaseException | None) -> None:
    """Record the event as parked (first reason wins on redelivery) and mark its stream parked."""
    document = _document(envelope, value, key, headers, source, reason, error)
    await runner.parked.update_one({"_id": _parked_id(envelope, source)}, {"$setOnInsert": document},
                                   upsert=True, session=session)
    if envelope is not None:
        runner.forget([envelope.stream_id])
        await runner.checkpoints.update_one({"_id": envelope.stream_id}, {"$set": {"parked": True}}, upsert=True,
                                            session=session)
        if runner.memory is not None:
            runner.memory.setdefault(envelope.stream_id, {})["parked"] = True
    PARKED_EVENTS.labels(runner.projection.name, reason).inc()


async def park(runner: "ProjectionRunner", envelope: EventEnvelope | None, value: bytes | None, key: bytes | None,
               headers: list[tuple[str, bytes]] | None, source: dict | None, reason: str,
               error: BaseException | None) -> None:
    async with runner.client.start_session() as session:
        async with await session.start_transaction():
            await park_in_transaction(runner, session, envelope, value, key, headers, source, reason, error)


async def list_parked(runner: "ProjectionRunner", limit: int = 1000) -> list[dict[str, Any]]:
    """What is parked and why, in stream order (undecodable messages last)."""
    cursor = runner.parked.find({}, {"value": 0, "key": 0, "headers": 0}).sort([("stream_id", 1), ("version", 1)])
    documents = [document async for document in cursor.limit(limit)]
    return sorted(documents, key=lambda d: (d["stream_id"] is None, d["stream_id"] or "", d["version"] or 0))


@dataclass
class RedriveReport:
    projection: str
    generation: int
    applied: int = 0
    duplicates: int = 0
    filled_from_store: int = 0
    resumed_streams: list[str] = field(default_factory=list)
    still_parked: dict[str, str] = field(default_factory=dict)


async def redrive(runner: "ProjectionRunner", streams: list[str] | None = None) -> RedriveReport:
    """Re-apply parked events stream by stream, in version order; un-park each stream that empties."""
    report = RedriveReport(runner.projection.name, runner.generation)
    if streams is None:
        streams = sorted(s for s in await runner.parked.distinct("stream_id") if s is not None)
    for stream in streams:
        await _redrive_stream(runner, stream, report)
    return report


async def _redrive_stream(runner: "ProjectionRunner", stream: str, report: RedriveReport) -> None:
    from services.kernel.messaging.projection import VersionGap, decode

    for _ in range(100):  # a live consumer may park more behind us while we work: go round until empty
        documents = [d async for d in runner.parked.find({"stream_id": stream}).sort("version", 1)]
        for document in documents:
            envelope = decode(document["value"])
            try:
                outcome = await _apply_filling_gaps(runner, envelope, report)
            except (VersionGap, Exception) as error:  # noqa: BLE001 - the cause is not fixed yet: keep it parked
                if isinstance(error, OperationFailure) and error.has_error_label("TransientTransactionError"):
                    break
                await runner.parked.update_one({"_id": document["_id"]}, {
                    "$set": {"error": repr(error)[:4000], "last_redrive_at": datetime.now(timezone.utc)},
                    "$inc": {"attempts": 1}})
                report.still_parked[stream] = repr(error)[:200]
                return
            report.applied += outcome == "applied"
            report.duplicates += outcome == "duplicate"
            REDRIVEN_EVENTS.labels(runner.projection.name).inc()
            await runner.parked.delete_one({"_id": document["_id"]})
        if await _release(runner, stream):
            report.resumed_streams.append(stream)
            log.info("stream redriven and resumed", projection=runner.projection.name, stream_id=stream)
            return
    report.still_parked[stream] = "still receiving parked events; run redrive again"


async def _apply_filling_gaps(runner: "ProjectionRunner", envelope: EventEnvelope, report: RedriveReport) -> str:
    """Apply ``envelope``; a predecessor that never reached the topic is read from the source event store."""
    from services.kernel.messaging.projection import VersionGap

    try:
        return await runner._apply_once(envelope, redrive=True)  # noqa: SLF001 - the runner's own path
    except VersionGap:
        applied = await runner.applied_version(envelope.stream_id)
        for missing in range(applied + 1, envelope.version):
            predecessor = await _from_event_store(runner, envelope.stream_id, missing)
            if predecessor is None:
                raise
            await runner._apply_once(predecessor, redrive=True)  # noqa: SLF001
            report.filled_from_store += 1
        return await runner._apply_once(envelope, redrive=True)  # noqa: SLF001


async def _from_event_store(runner: "ProjectionRunner", stream: str, version: int) -> EventEnvelope | None:
    from services.kernel.eventsourcing.eventstore import document_to_envelope

    for source in runner.projection.sources:
        events = runner.client[f"{runner.namespace}_{source}"]["events"]
        document = await events.find_one({"stream_id": stream, "version": version})
        if document is not None:
            return document_to_envelope(document)
    return None


async def _release(runner: "ProjectionRunner", stream: str) -> bool:
    """Un-park the stream if nothing of it is parked, atomically with that check."""
    try:
        async with runner.client.start_session() as session:
            async with await session.start_transaction():
                if await runner.parked.count_documents({"stream_id": stream}, session=session):
                    return False
                await runner.checkpoints.update_one({"_id": stream}, {"$unset": {"parked": ""}}, session=session)
                return True
    except OperationFailure as error:
        if error.has_error_label("TransientTransactionError"):
            return False
        raise
