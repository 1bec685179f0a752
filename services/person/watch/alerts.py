"""Alerts: raised once, published through an outbox, acknowledged and resolved by the responsible police.

Two collections outside the projection's generations, so a rebuild neither loses an alert's handling nor raises
it again: ``watch_alerts`` (the queryable list, one document per alert) and ``watch_alert_events`` (the alerts'
own event store: KeyPersonAlertRaised / Acknowledged / Resolved / Withdrawn / Reinstated, one stream per alert). The alert id is derived
from the causing event id and the person, and both writes are upserts that only insert, inside the projection's
transaction: a replay, a redelivery or a rebuild finds them there and changes nothing. The kernel's outbox relay
(under its lease) publishes ``watch_alert_events`` to ``ybss.person.alerts``.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone

from aiokafka import AIOKafkaProducer
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from contracts.envelope import Actor, EventEnvelope
from contracts.topics import context_topic
from contracts.watch import (
    KeyPersonAlertAcknowledged, KeyPersonAlertRaised, KeyPersonAlertReinstated, KeyPersonAlertResolved,
    KeyPersonAlertWithdrawn,
)
from services.kernel.base.errors import NotFound, StateConflict
from services.kernel.base.settings import Settings
from services.kernel.eventsourcing.eventstore import EventStore, envelope_to_document
from services.kernel.messaging.lease import LeasedRelay
from services.kernel.messaging.outbox import OutboxRelay
from services.kernel.messaging.parking import TopicLimit
from services.person.watch.folds import moment, qualifying
from services.person.watch.rules import Rule

ALERTS = "watch_alerts"
ALERT_EVENTS = "watch_alert_events"
NAMESPACE = uuid.UUID("6f1c2d1e-4b7a-5c3e-9a51-0d2f6e8b7c40")
WATCH_ACTOR = Actor(id="person-watch", role="system", organisation_code="000000")


def alert_id(cause_event_id: str, person_id: str) -> str:
    """One alert per causing event and person, whoever applies the event and how often."""
    return uuid.uuid5(NAMESPACE, f"{cause_event_id}:{person_id}").hex


def alert_stream(identifier: str) -> str:
    return f"alert-{identifier}"


async def ensure_indexes(db: AsyncDatabase) -> None:
    alerts = db[ALERTS]
    await alerts.create_index([("division_code", ASCENDING), ("raised_at", DESCENDING)])
    await alerts.create_index([("raised_at", ASCENDING)])
    await alerts.create_index([("person_id", ASCENDING)])
    await EventStore(db.client, db, ALERT_EVENTS).ensure_indexes()


def _raised(identifier: str, person_id: str, entry: dict, listing: dict, period: dict,
            rule: Rule) -> KeyPersonAlertRaised:
    return KeyPersonAlertRaised(
        alert_id=identifier, rule=rule.rule, rule_name=rule.name, person_id=person_id,
        key_person_id=listing["key_person_id"], category_code=period.get("category_code") or "",
        division_code=period.get("division_code") or "", responsible_unit=period.get("responsible_unit") or "",
        responsible_officer=period.get("responsible_officer"), cause_event_id=entry["event_id"],
        cause_event_type=entry["event_type"], cause_stream_id=entry["stream_id"],
        cause_occurred_at=moment(entry["at"]), correlation_id=entry["correlation_id"], facts=entry["facts"])


async def _record(db: AsyncDatabase, session: AsyncClientSession, identifier: str, version: int, event,
                  actor: Actor, correlation_id: str, causation_id: str, division_code: str,
                  event_id: uuid.UUID | None = None) -> None:
    """The alert's next event into its stream (the outbox), in the caller's transaction."""
    now = datetime.now(timezone.utc)
    envelope = EventEnvelope(
        event_type=event.event_type(), stream_id=alert_stream(identifier), stream_type="KeyPersonAlert",
        version=version, actor=actor, correlation_id=correlation_id, causation_id=causation_id,
        division_code=division_code, occurred_at=now, recorded_at=now, payload=event.model_dump(mode="json"),
        **({"event_id": event_id} if event_id else {}))
    document = envelope_to_document(envelope)
    if event_id is None:
        await db[ALERT_EVENTS].insert_one(document, session=session)
    else:  # the raising is keyed by the alert: insert-only, a second raiser finds it in place
        await db[ALERT_EVENTS].update_one({"_id": document["_id"]}, {"$setOnInsert": document}, upsert=True,
                                          session=session)


async def reconcile(db: AsyncDatabase, session: AsyncClientSession, person_id: str, listings: dict,
                    entries: list[dict], rules: tuple[Rule, ...]) -> None:
    """Make the person's alerts for ``entries`` what the listings known now call for: raise the missing ones,
    withdraw those whose event turns out to lie outside every listed span, reinstate a withdrawn one that is
    inside one again. Idempotent (a replay or a rebuild finds everything in place), in the caller's transaction."""
    wanted = {alert_id(entry["event_id"], person_id): entry for entry in entries}
    existing = {document["_id"]: document async for document in db[ALERTS].find(
        {"_id": {"$in": list(wanted)}}, {"state": 1, "version": 1, "division_code": 1, "correlation_id": 1,
                                         "cause_event_id": 1}, session=session)}
    for identifier, entry in wanted.items():
        found, current = qualifying(listings, entry, rules), existing.get(identifier)
        if found is not None and current is None:
            event = _raised(identifier, person_id, entry, *found)
            await db[ALERTS].update_one({"_id": identifier}, {"$setOnInsert": {
                **event.model_dump(mode="python", exclude={"alert_id"}), "state": "open",
                "raised_at": datetime.now(timezone.utc), "version": 1, "handling": []}}, upsert=True, session=session)
            await _record(db, session, identifier, 1, event, WATCH_ACTOR, entry["correlation_id"], entry["event_id"],
                          event.division_code, event_id=uuid.uuid5(NAMESPACE, f"raised:{identifier}"))
        elif current is not None and (found is None) != (current["state"] == "withdrawn"):
            event = (KeyPersonAlertWithdrawn(alert_id=identifier, reason="not listed when the event happened")
                     if found is None else KeyPersonAlertReinstated(alert_id=identifier))
            state = event.evolve({})["state"]
            await db[ALERTS].update_one({"_id": identifier}, {
                "$set": {"state": state, "version": current["version"] + 1},
                "$push": {"handling": {"step": state, "by": WATCH_ACTOR.id, "at": datetime.now(timezone.utc),
                                       "text": getattr(event, "reason", "")}}}, session=session)
            await _record(db, session, identifier, current["version"] + 1, event, WATCH_ACTOR,
                          current["correlation_id"], current["cause_event_id"], current["division_code"])


async def handle(db: AsyncDatabase, identifier: str, step: str, text: str, caller) -> dict:
    """签收 (``acknowledge``) or 处置 (``resolve``) an alert: its event appended to the alert's stream and the list
    document moved on, in one transaction; 409 naming the state when the step does not apply. ``db``: the person
    service's database (the alerts live outside the projections' generations)."""
    alerts = db[ALERTS]
    alert = await alerts.find_one({"_id": identifier})
    if alert is None:
        raise NotFound("alert", identifier)
    caller.require_within(alert["division_code"], "alert")
    allowed = {"acknowledge": ("open",), "resolve": ("open", "acknowledged")}[step]
    if alert["state"] not in allowed:
        raise StateConflict(f"alert.{step}", f"alert {identifier} is {alert['state']}; cannot {step}",
                            f"预警 {identifier} 当前状态为 {alert['state']}，不能{'签收' if step == 'acknowledge' else '处置'}")
    event = (KeyPersonAlertAcknowledged(alert_id=identifier, remark=text) if step == "acknowledge"
             else KeyPersonAlertResolved(alert_id=identifier, outcome=text))
    actor, now = caller.actor, datetime.now(timezone.utc)
    state = event.evolve({})["state"]
    async with db.client.start_session() as session:
        async with await session.start_transaction():
            changed = await alerts.update_one(
                {"_id": identifier, "version": alert["version"]},
                {"$set": {"state": state, "version": alert["version"] + 1, f"{step}d_by": actor.id,
                          f"{step}d_at": now},
                 "$push": {"handling": {"step": step, "by": actor.id, "at": now, "text": text}}}, session=session)
            if changed.matched_count != 1:
                raise StateConflict(f"alert.{step}", f"alert {identifier} changed meanwhile; read it again",
                                    f"预警 {identifier} 已被他人处理，请刷新")
            await _record(db, session, identifier, alert["version"] + 1, event, actor,
                          caller.context.correlation_id, alert["cause_event_id"], alert["division_code"])
    return await alerts.find_one({"_id": identifier})


async def relay_alerts(db: AsyncDatabase, producer: AIOKafkaProducer, settings: Settings) -> None:
    """Background task: publish the alerts' events to ``<ns>.person.alerts`` (outbox, one leader at a time); built
    by the composition root (services/person/bootstrap.py) with the service's database, producer and settings."""
    await ensure_indexes(db)
    store = EventStore(db.client, db, ALERT_EVENTS)
    topic = context_topic("person", "alerts", settings.namespace)
    relay = OutboxRelay(store, producer, topic, "person-alerts", batch_size=settings.relay_batch_size,
                        idle_poll_seconds=0.1, record_limit=TopicLimit(settings.kafka_client_options(), topic))
    leased = LeasedRelay.for_settings(relay, db, settings)
    leased.start()
    try:
        await asyncio.Event().wait()
    finally:
        await leased.stop()
