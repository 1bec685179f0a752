"""Queries over the audit archive: one stream, the global log, records as of a time."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from contracts.access import ACCESS_STREAM_TYPE
from services.audit.archive import EVENTS, NAME
from services.kernel.messaging.read_models import ReadModels


def events(reads: ReadModels) -> AsyncCollection:
    """The live generation of the archive (a rebuild swaps it)."""
    return reads.read_model(NAME, EVENTS)


class ArchivedStreams:
    """The audit application's archive port (services.audit.application.ArchivePort) over the archive."""

    def __init__(self, archive: AsyncCollection) -> None:
        self.archive = archive

    async def stream(self, stream_id: str) -> list[dict[str, Any]]:
        return await stream(self.archive, stream_id)

    async def campaign_ids(self) -> list[str]:
        return [s.removeprefix("campaign-") for s in await self.archive.distinct("stream_id", {"stream_type": "Campaign"})]


async def stream(collection: AsyncCollection, stream_id: str, as_of: datetime | None = None,
                 version: int | None = None) -> list[dict[str, Any]]:
    """A stream's archived events in version order, cut at ``as_of`` (recorded_at) or at ``version``."""
    query: dict[str, Any] = {"stream_id": stream_id}
    if as_of is not None:
        query["recorded_at"] = {"$lte": as_of}
    if version is not None:
        query["version"] = {"$lte": version}
    return [document async for document in collection.find(query).sort("version", 1)]


def log_query(actor_id: str | None = None, organisation_code: str | None = None, entity_type: str | None = None,
              division_code: str | None = None, event_type: str | None = None, since: datetime | None = None,
              until: datetime | None = None, scope: dict | None = None) -> dict[str, Any]:
    """The global log's filter (全局审计日志): every argument narrows it; ``scope`` is the caller's jurisdiction."""
    clauses: list[dict[str, Any]] = [scope] if scope else []
    if actor_id:
        clauses.append({"actor.id": actor_id})
    if organisation_code:  # an organisation includes the stations under it (532503 → 532503001 ...)
        clauses.append({"actor.organisation_code": {"$regex": "^" + re.escape(organisation_code)}})
    # reads are not changes: the access log has its own routes unless asked for by entity type
    clauses.append({"stream_type": entity_type} if entity_type else {"stream_type": {"$ne": ACCESS_STREAM_TYPE}})
    if division_code:
        clauses.append({"division_code": {"$regex": "^" + re.escape(division_code)}})
    if event_type:
        clauses.append({"event_type": event_type})
    if since or until:
        window: dict[str, Any] = {}
        if since:
            window["$gte"] = since
        if until:
            window["$lte"] = until
        clauses.append({"recorded_at": window})
    if not clauses:
        return {}
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


#: what folding, metrics and history need of an archived event (the rest stays on disk)
FOLDED_FIELDS = {"stream_id": 1, "stream_type": 1, "version": 1, "event_type": 1, "schema_version": 1, "payload": 1,
                 "division_code": 1, "recorded_at": 1, "actor.id": 1, "correlation_id": 1}


#: stream ids per follow-up query: far below the 16 MB command limit (2,000 × ~60 B ≈ 120 KB) at any archive size
STREAM_CHUNK = 2000


def touched_streams_pipeline(base: dict[str, Any], division_code: str) -> list[dict[str, Any]]:
    """The streams with an event inside ``division_code`` up to the cut, one small document each, as a cursor
    (never one answer holding every id: ``distinct`` returns a single document, capped at 16 MB)."""
    return [{"$match": {**base, "division_code": {"$regex": "^" + re.escape(division_code)}}},
            {"$group": {"_id": "$stream_id"}}, {"$sort": {"_id": 1}}]


async def _touched_chunks(collection: AsyncCollection, base: dict[str, Any], division_code: str,
                          size: int = STREAM_CHUNK):
    chunk: list[str] = []
    cursor = await collection.aggregate(touched_streams_pipeline(base, division_code), allowDiskUse=True,
                                        batchSize=size)
    async for document in cursor:
        chunk.append(document["_id"])
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def records_as_of(collection: AsyncCollection, as_of: datetime, division_code: str | None = None,
                        stream_types: list[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every stream's events recorded up to ``as_of``, grouped by stream (in version order), for the streams
    whose division *as of then* lies inside ``division_code``.

    A record can change hands (a key person transferred, a person moving township): such a stream is kept
    whole, and counted where it was at ``as_of``, not where some of its events were written. The streams
    touched inside the division come from an aggregation cursor and are read whole a chunk at a time, so no
    query grows with the division's size.
    """
    base: dict[str, Any] = {"recorded_at": {"$lte": as_of}}
    if stream_types is not None:
        base["stream_type"] = {"$in": stream_types}
    grouped: dict[str, list[dict[str, Any]]] = {}
    if not division_code:
        async for document in collection.find(base, FOLDED_FIELDS).sort([("stream_id", 1), ("version", 1)]):
            grouped.setdefault(document["stream_id"], []).append(document)
        return grouped
    async for chunk in _touched_chunks(collection, base, division_code):
        cursor = collection.find({**base, "stream_id": {"$in": chunk}}, FOLDED_FIELDS)
        part: dict[str, list[dict[str, Any]]] = {}
        async for document in cursor.sort([("stream_id", 1), ("version", 1)]):
            part.setdefault(document["stream_id"], []).append(document)
        grouped.update((stream_id, documents) for stream_id, documents in part.items()
                       if (current_division(documents) or "").startswith(division_code))
    return grouped


def current_division(documents: list[dict[str, Any]]) -> str | None:
    """The division a stream belongs to after these events: the latest one its events name."""
    for document in reversed(documents):
        if document.get("division_code"):
            return document["division_code"]
    return None
