"""Campaign-side reads over the archive: sampling candidates, campaigns as of a time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from services.audit.domain.history import state_of
from services.audit.domain.metrics import address_lookup, community_of, facts
from services.audit.domain.sampling import Candidate
from services.audit.views.audit_streams import audit_streams
from services.audit.views.records import records

ADDRESS_TYPES = ("Place", "Doorplate")  #: read to place records in their community
TOWNSHIP_DIGITS = 9


async def candidates(archive: AsyncCollection, division_code: str, entity_types: list[str],
                     as_of: datetime) -> tuple[list[Candidate], dict[str, str]]:
    """The population to sample: records of those types in the division, active as of ``as_of``, each in its
    stratum: its community where the address hierarchy carries one, else its township."""
    everything = await records(archive, as_of, division_code, sorted({*entity_types, *ADDRESS_TYPES}))
    lookup = address_lookup(everything)
    population, stream_types = [], {}
    for record in everything:
        if record.stream_type not in entity_types or not record.active:
            continue
        division = record.division_code or division_code
        stratum = community_of(record.stream_type, facts(record.stream_type, record.state), lookup) \
            or division[:TOWNSHIP_DIGITS]
        population.append(Candidate(record.stream_id, stratum, division))
        stream_types[record.stream_id] = record.stream_type
    return population, stream_types


async def campaigns_as_of(archive: AsyncCollection, as_of: datetime, division_code: str | None = None
                          ) -> list[dict[str, Any]]:
    """Every campaign's folded state as of a time (campaigns are archived like any other stream)."""
    grouped = await audit_streams(archive, "Campaign", as_of)
    states = [state_of(documents)[1] for documents in grouped.values()]
    if not division_code:
        return states
    return [s for s in states if s.get("division_code", "").startswith(division_code)
            or division_code.startswith(s.get("division_code", "-"))]
