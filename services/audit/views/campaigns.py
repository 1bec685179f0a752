"""Campaign-side reads over the archive: sampling candidates, campaigns as of a time, the rectifier's sweep."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import PyMongoError

from services.audit.application import AuditApplication
from services.audit.domain.history import state_of
from services.audit.domain.rectification import correcting_event
from services.audit.domain.metrics import address_lookup, community_of, facts
from services.audit.domain.sampling import Candidate
from services.audit.views.archive import stream
from services.audit.views.audit_streams import audit_streams
from services.audit.views.records import records
from services.kernel.base.errors import ConcurrencyConflict
from services.kernel.base.logging import get_logger

log = get_logger(__name__)

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


async def sweep(app: AuditApplication, archive: AsyncCollection, campaign_ids: list[str] | None = None) -> int:
    """Close every open rectification task whose field a later event changed (整改自动销号); returns closures."""
    if campaign_ids is None:
        campaign_ids = [s.removeprefix("campaign-") for s in await archive.distinct("stream_id", {"stream_type": "Campaign"})]
    closed = 0
    for campaign_id in campaign_ids:
        try:
            campaign = await app.campaign(campaign_id)
            for task in campaign.open_tasks():
                found = correcting_event(task, await stream(archive, task["stream_id"]))
                if found is not None:
                    closed += await app.close_task(campaign_id, task["task_id"], found[0], found[1])
        except ConcurrencyConflict:
            continue  # an inspection was recorded meanwhile; the next sweep sees it
        except PyMongoError as error:
            log.warning("rectification sweep failed", campaign_id=campaign_id, error=repr(error))
    return closed
