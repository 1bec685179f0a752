"""Free-text addresses from agencies (地址治理): linked by the address service's matcher or queued for a collector.

A record whose address is free text (``address_text``, no ``address_code``) is matched with the address
service's ``POST /v1/addresses/match`` over HTTP under the ingest service's own identity (role ``service``, its
key ``svc-ingest``; the agency's jurisdiction as ``org`` and its id as ``on_behalf_of``), never a user token.
Above the agency's threshold, and only if the agency is trusted to be matched automatically, the record is
linked (the link keeps the score and the matcher's reasons); otherwise it waits in the review queue
(``address_reviews``) until a collector picks the address or registers a new door plate. The queue is listed
with each item's age, so nothing waits silently. A matcher that does not answer is retried; the record is
never dropped.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import httpx
from prometheus_client import Counter

from contracts.ingest import AddressLink, IngestCommand
from services.ingest.config import Agency, ingest_settings
from services.kernel.web.auth import mint_service_token
from services.kernel.base.logging import get_logger

log = get_logger(__name__)
REVIEWS = "address_reviews"
MATCHES = Counter("ybss_ingest_address_matches_total", "Free-text addresses by outcome", ["agency", "outcome"])


class MatcherUnavailable(Exception):
    """The address service did not answer: retry later (never a reject: the record is not at fault)."""


def needs_address(command: IngestCommand) -> bool:
    fields = command.record.fields
    return bool(fields.get("address_text")) and not fields.get("address_code") and command.address_link is None


class AddressMatcher:
    """The address service's matcher over HTTP. ``transport`` lets a test or an in-process deployment route the
    calls to an ASGI app instead of the network."""

    def __init__(self) -> None:
        self.transport: httpx.AsyncBaseTransport | None = None
        self.base_url: str | None = None

    async def best(self, agency: Agency, text: str, settings) -> dict | None:
        config = ingest_settings()
        token = mint_service_token("ingest", agency.jurisdiction, settings, ttl_seconds=300, on_behalf_of=agency.id)
        body = {"text": text, "division_code": agency.jurisdiction, "limit": 3}
        last: Exception | None = None
        for attempt in range(config.match_attempts):
            try:
                async with httpx.AsyncClient(transport=self.transport, base_url=self.base_url or config.address_url,
                                             timeout=config.match_timeout_seconds) as client:
                    response = await client.post("/v1/addresses/match", json=body,
                                                 headers={"Authorization": f"Bearer {token}"})
                if response.status_code == 200:
                    candidates = response.json()["candidates"]
                    return candidates[0] if candidates else None
                if response.status_code == 422:  # the text itself is unusable: a collector must look at it
                    return None
                last = RuntimeError(f"address matcher answered {response.status_code}: {response.text[:200]}")
            except httpx.HTTPError as error:
                last = error
            await asyncio.sleep(0.2 * (attempt + 1))
        MATCHES.labels(agency.id, "unavailable").inc()
        raise MatcherUnavailable(f"address matcher unavailable: {last!r}")


matcher = AddressMatcher()


async def resolve(db, agency: Agency, command: IngestCommand, settings) -> IngestCommand | None:
    """The command linked to a standard address, or None when it went to (or still waits in) the review queue.
    A resend of a record a collector already resolved proceeds with the collector's address."""
    text = command.record.fields["address_text"]
    reviewed = await db[REVIEWS].find_one({"_id": command.claim_key})
    if reviewed is not None and reviewed["state"] == "resolved":
        done = reviewed["resolution"]
        return command.model_copy(update={"address_link": AddressLink(
            address_code=done["address_code"], score=None, text=text, decided_by=done["by"],
            reason=f"collector {done['by']}: {done.get('remark') or '人工确认'}")})
    if reviewed is not None:
        return None
    best = await matcher.best(agency, text, settings)
    if best is not None and agency.auto_match_addresses and best["score"] >= agency.match_threshold:
        MATCHES.labels(agency.id, "linked").inc()
        link = AddressLink(address_code=best["code"], score=best["score"], text=text,
                           reason=f"auto: score {best['score']} ≥ {agency.match_threshold}; "
                                  + "; ".join(best.get("reasons", [])))
        return command.model_copy(update={"address_link": link})
    MATCHES.labels(agency.id, "review").inc()
    await queue(db, agency, command, text, best)
    return None


async def queue(db, agency: Agency, command: IngestCommand, text: str, best: dict | None) -> None:
    """Put the record in the review queue once per (agency, record, content)."""
    await db[REVIEWS].update_one({"_id": command.claim_key}, {"$setOnInsert": {
        "agency": agency.id, "agency_name": agency.name, "record_id": command.record.record_id,
        "entity_type": command.record.entity_type, "division_code": agency.jurisdiction, "text": text,
        "candidate": best, "threshold": agency.match_threshold, "auto_match": agency.auto_match_addresses,
        "command": command.model_dump(mode="json"), "state": "open", "queued_at": datetime.now(timezone.utc)}},
        upsert=True)
