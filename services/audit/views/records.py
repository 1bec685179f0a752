"""Records as of a time: every stream of some entity types in a division, folded, with who collected it."""

from __future__ import annotations

from datetime import datetime

from pymongo.asynchronous.collection import AsyncCollection

from services.audit.domain import assessment
from services.audit.domain.fold import evolve
from services.audit.domain.history import payload_of, state_of
from services.audit.domain.metrics import Record
from services.audit.views.archive import current_division, records_as_of


async def records(archive: AsyncCollection, as_of: datetime, division_code: str | None,
                  stream_types: list[str]) -> list[Record]:
    grouped = await records_as_of(archive, as_of, division_code, stream_types)
    result = []
    for stream_id, documents in grouped.items():
        _, state = state_of(documents)
        division = current_division(documents) or ""
        first = evolve({}, documents[0]["event_type"], payload_of(documents[0]))
        result.append(Record(stream_id, documents[0]["stream_type"], state, division, documents[0]["actor"]["id"],
                             documents[0]["recorded_at"], [d["event_type"] for d in documents],
                             assessment.folded(documents, first)))
    return result
