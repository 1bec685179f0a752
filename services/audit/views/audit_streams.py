"""The audit's own few streams (campaigns, collection baselines) as of a time, read by their stream type.

They are a handful beside the archive's millions of events, read by the (stream_type, recorded_at) index, which
the planner picks. Not named as a hint any more (it was, after a planner chose the division or time index at 65,000
events, 4-7 s): at the default city's 1.35 million events SecantusDB 0.5.3 answers a hinted find by walking the
whole index, 1.0 s for no document, and the planner's own choice in 0.001 s; quality p99 went 17.2 s -> 0.046 s
(bench/README.md, 'A city's reads').
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from services.audit.views.archive import FOLDED_FIELDS


async def audit_streams(archive: AsyncCollection, stream_type: str, as_of: datetime) -> dict[str, list[dict[str, Any]]]:
    """{stream: its events recorded up to ``as_of``, in version order} for every stream of ``stream_type``."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    cursor = archive.find({"stream_type": stream_type, "recorded_at": {"$lte": as_of}}, FOLDED_FIELDS)
    async for document in cursor:
        grouped[document["stream_id"]].append(document)
    for documents in grouped.values():
        documents.sort(key=lambda document: document["version"])
    return dict(grouped)
