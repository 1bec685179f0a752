"""Queries of the key-person watch: the watch list of a jurisdiction (each listed key person with current
residence, employers and recent events), the alerts list, one alert, and new alerts for the live stream."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from services.kernel.web.paging import Segment, Worklist, one_each
from services.kernel.messaging.read_models import ReadModel, ReadModels
from services.person.views.whereabouts import derive
from services.person.watch.folds import ACTIVE_STATES
from services.person.watch.projection import WATCH
from services.person.whereabouts import WHEREABOUTS

RECENT_SHOWN = 10


def watch_list(reads: ReadModels, scope: dict) -> Worklist:
    """Every 已列管 key person watched inside the caller's jurisdiction, with where they live and work now."""
    async def rows(documents: list[dict]) -> list[list[dict[str, Any]]]:
        places = {document["_id"]: document for document in await reads.read_model(WHEREABOUTS, "whereabouts").find(
            {"_id": {"$in": [document["_id"] for document in documents]}}).to_list(None)}
        return [[watched(document, places.get(document["_id"]))] for document in documents]

    return Worklist.of(Segment(reads.read_model(WATCH, "watch"), scope, rows))


def watched(document: dict, place: dict | None) -> dict[str, Any]:
    where = derive(place) if place and place.get("person") else None
    return {
        "person_id": document["_id"], "name": where["name"] if where else None,
        "key_persons": [{key: listing.get(key) for key in ("key_person_id", "state", "category_code",
                                                          "division_code", "responsible_unit",
                                                          "responsible_officer")}
                        for listing in (document.get("listings") or {}).values()
                        if listing.get("state") in ACTIVE_STATES],
        "residence": where["residence"] if where else None, "employers": where["employers"] if where else [],
        "recent_events": [{key: event[key] for key in ("event_type", "at", "correlation_id", "facts")}
                          for event in reversed(document.get("events", [])[-RECENT_SHOWN:])],
    }


def alert_query(scope: dict, since: datetime | None, rule: str | None, state: str | None,
                person_id: str | None) -> dict:
    query = dict(scope)
    if since is not None:
        query["raised_at"] = {"$gte": since}
    for field, value in (("rule", rule), ("state", state), ("person_id", person_id)):
        if value:
            query[field] = value
    return query


def shown(alert: dict) -> dict[str, Any]:
    alert = dict(alert)
    alert["alert_id"] = alert.pop("_id")
    return alert


def alerts(listed: ReadModel, query: dict) -> Worklist:
    """Alerts newest first (raised_at, then id: a keyset on the alerts' raised_at index); ``listed``: the
    alerts' list (``watch_alerts``, outside the projections' generations)."""
    return Worklist.of(Segment(listed, query, one_each(shown), sort=(("raised_at", -1), ("_id", 1))))


async def alert(listed: ReadModel, alert_id: str) -> dict | None:
    document = await listed.find_one({"_id": alert_id})
    return shown(document) if document else None


#: an alert's transaction may commit a moment after its ``raised_at``: the stream looks back this far, once each
COMMIT_SLACK = timedelta(seconds=5)


async def new_alerts(listed: ReadModel, scope: dict, since: datetime, seen: set[str]) -> list[dict[str, Any]]:
    """Alerts raised since ``since - COMMIT_SLACK`` not yet in ``seen``, oldest first (the SSE poll)."""
    query = {**scope, "raised_at": {"$gte": since - COMMIT_SLACK}}
    found = [shown(document) async for document in listed.find(query).sort("raised_at", 1).limit(500)]
    return [item for item in found if item["alert_id"] not in seen]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
