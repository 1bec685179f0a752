"""``ybss dlt list|redrive``: what a projection has parked behind a dead letter, and re-applying it once the
cause is fixed (重新投递).

A redrive re-applies a stream's parked events in version order (a missing predecessor is fetched from the
source context's event store, the log of record) and un-parks the stream when nothing is left, so the live
consumer resumes it. The un-park checks and releases in one transaction, so an event a live consumer parks
meanwhile is never lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pymongo.errors import OperationFailure

from contracts.envelope import EventEnvelope
from services.kernel.base.logging import get_logger
from services.kernel.base.metrics import REDRIVEN_EVENTS
from services.kernel.eventsourcing.eventstore import document_to_envelope
from services.kernel.messaging.decoding import decode
from services.kernel.messaging.failures import VersionGap
from services.kernel.messaging.projection_runner import ProjectionRunner

log = get_logger(__name__)


async def list_parked(runner: ProjectionRunner, limit: int = 1000) -> list[dict[str, Any]]:
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


async def redrive(runner: ProjectionRunner, streams: list[str] | None = None) -> RedriveReport:
    """Re-apply parked events stream by stream, in version order; un-park each stream that empties."""
    report = RedriveReport(runner.projection.name, runner.generation)
    if streams is None:
        streams = sorted(s for s in await runner.parked.distinct("stream_id") if s is not None)
    for stream in streams:
        await _redrive_stream(runner, stream, report)
    return report


async def _redrive_stream(runner: ProjectionRunner, stream: str, report: RedriveReport) -> None:
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


async def _apply_filling_gaps(runner: ProjectionRunner, envelope: EventEnvelope, report: RedriveReport) -> str:
    """Apply ``envelope``; a predecessor that never reached the topic is read from the source event store."""
    try:
        return await runner.apply_one(envelope, redrive=True)
    except VersionGap:
        applied = await runner.applied_version(envelope.stream_id)
        for missing in range(applied + 1, envelope.version):
            predecessor = await _from_event_store(runner, envelope.stream_id, missing)
            if predecessor is None:
                raise
            await runner.apply_one(predecessor, redrive=True)
            report.filled_from_store += 1
        return await runner.apply_one(envelope, redrive=True)


async def _from_event_store(runner: ProjectionRunner, stream: str, version: int) -> EventEnvelope | None:
    for source in runner.projection.sources:
        events = runner.client[f"{runner.namespace}_{source}"]["events"]
        document = await events.find_one({"stream_id": stream, "version": version})
        if document is not None:
            return document_to_envelope(document)
    return None


async def _release(runner: ProjectionRunner, stream: str) -> bool:
    """Un-park the stream if nothing of it is parked, atomically with that check."""
    try:
        async with runner.client.start_session() as session:
            async with await session.start_transaction():
                if await runner.parked.count_documents({"stream_id": stream}, session=session):
                    return False
                await runner.stream_checkpoints.release(stream, session)
                return True
    except OperationFailure as error:
        if error.has_error_label("TransientTransactionError"):
            return False
        raise
