"""Read models of the person service, fed by its own events and by the address registry's.

- ``person-registry``: ``persons`` (one document per person: base record, category, residences, corrections,
  deadline facts) and ``key_persons`` (the 列管 records). Each handler runs in the runner's transaction with
  the stream checkpoint, so a replay or duplicate never applies twice.
- ``person-addresses``: the service's replica of the address registry (services.replicas.address), used
  to check residence addresses and to show their *current* names (a renamed road, a merged plate).

Dates that deadline lists query are stored as ISO strings (``YYYY-MM-DD``), which sort as dates.
"""

from __future__ import annotations

from datetime import date, datetime

from pymongo import ASCENDING

from contracts.person import (
    DuplicatePersonAbsorbed, KeyPersonListed, KeyPersonListingApplied, KeyPersonListingRejected,
    KeyPersonRecategorizationRequested, KeyPersonRecategorized, KeyPersonReleaseApplied, KeyPersonReleased,
    KeyPersonReleaseRejected, KeyPersonRequestRejected, KeyPersonTransferRequested, KeyPersonTransferred,
    MigrantRegistrationRenewed, PersonCancelled, PersonCategoryChanged, PersonCorrected, PersonMergedInto,
    PersonRegistered, ResidenceEnded, ResidenceRegistered,
)
from contracts.events import event_class
from services.kernel.messaging.projection import Projection, ProjectionTx
from services.replicas.address import address_replica
from services.person.domain.deadlines import DeadlineFacts, registered_late

REGISTRY = "person-registry"
ADDRESSES = "person-addresses"

registry = Projection(REGISTRY, sources=["person"], collections=["persons", "key_persons"])
registry.index("persons", [("document_number", ASCENDING)])
registry.index("persons", [("legacy_number", ASCENDING)])
registry.index("persons", [("document_number_reversed", ASCENDING)])
registry.index("persons", [("name", ASCENDING)])
registry.index("persons", [("phone", ASCENDING)])
registry.index("persons", [("division_code", ASCENDING), ("category", ASCENDING)])
registry.index("persons", [("current_address_code", ASCENDING)])
registry.index("persons", [("deadline.permit_expiry", ASCENDING)])
registry.index("persons", [("deadline.registration_valid_until", ASCENDING)])
registry.index("persons", [("deadline.permitted_stay_until", ASCENDING)])
registry.index("key_persons", [("person_id", ASCENDING)])
registry.index("key_persons", [("division_code", ASCENDING), ("state", ASCENDING)])

addresses = address_replica(ADDRESSES)


def _stamp(tx: ProjectionTx) -> dict:
    return {"at": tx.envelope.occurred_at, "by": tx.envelope.actor.id, "event": tx.envelope.event_type}


def deadline_fields(category: str, details: dict, registered_at: datetime) -> dict:
    """What the deadline lists query, stored flat; the 'registered late' facts are fixed at registration."""
    facts = DeadlineFacts(
        category=category, status="active", registered_at=registered_at,
        arrival_date=_date(details.get("arrival_date")), renting=bool(details.get("renting")),
        accommodation=details.get("accommodation"), arrived_at=_datetime(details.get("arrived_at")))
    return {
        "category": category, "registered_late": registered_late(facts),
        "permit_expiry": details.get("residence_permit_expiry"),
        "registration_valid_until": details.get("registration_valid_until"),
        "permitted_stay_until": details.get("permitted_stay_until"),
    }


def _date(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


def _datetime(value):
    return datetime.fromisoformat(value) if isinstance(value, str) else value


async def _update(tx: ProjectionTx, update: dict, collection: str = "persons", id_field: str = "person_id") -> None:
    update.setdefault("$set", {})["_version"] = tx.envelope.version
    await tx.collection(collection).update_one({"_id": tx.envelope.payload[id_field]}, update, session=tx.session)


# persons --------------------------------------------------------------------------------------------------
@registry.handles(PersonRegistered)
async def person_registered(tx: ProjectionTx) -> None:
    payload = dict(tx.envelope.payload)
    person_id = payload.pop("person_id")
    await tx.collection("persons").replace_one({"_id": person_id}, {
        **payload, "_id": person_id, "_version": tx.envelope.version, "status": "active", "redirect_to": None,
        "merged_from": [], "residences": [], "current_address_code": None, "corrections": [],
        "category_history": [], "cancellation": None,
        "document_number_reversed": payload["document_number"][::-1],
        "registered_at": tx.envelope.occurred_at, "registered_by": tx.envelope.actor.id,
        "deadline": deadline_fields(payload["category"], payload["details"], tx.envelope.occurred_at),
    }, upsert=True, session=tx.session)


@registry.handles(PersonCategoryChanged)
async def category_changed(tx: ProjectionTx) -> None:
    payload = tx.envelope.payload
    await _update(tx, {"$set": {"category": payload["category"], "details": payload["details"],
                                "deadline": deadline_fields(payload["category"], payload["details"],
                                                            tx.envelope.occurred_at)},
                       "$push": {"category_history": {"from": payload["old_category"], "to": payload["category"],
                                                      "reason": payload["reason"], **_stamp(tx)}}})


@registry.handles(PersonCorrected)
async def corrected(tx: ProjectionTx) -> None:
    payload = tx.envelope.payload
    changes = dict(payload["changes"])
    if "document_number" in changes:
        changes["document_number_reversed"] = changes["document_number"][::-1]
    await _update(tx, {"$set": changes, "$push": {"corrections": {
        "changes": payload["changes"], "old_values": payload["old_values"], "reason_code": payload["reason_code"],
        "remark": payload["remark"], **_stamp(tx)}}})


@registry.handles(ResidenceRegistered)
async def residence_registered(tx: ProjectionTx) -> None:
    payload = tx.envelope.payload
    persons = tx.collection("persons")
    await persons.update_one({"_id": payload["person_id"]},
                             {"$set": {"residences.$[open].moved_out": payload["moved_in"]}},
                             array_filters=[{"open.moved_out": None}], session=tx.session)
    residence = {key: payload[key] for key in ("address_code", "requested_code", "address_name", "moved_in", "reason",
                                               "residence_type", "owner_name", "lessor_name", "division_code")}
    moved = {"division_code": payload["division_code"]} if payload["division_code"] else {}
    await _update(tx, {"$set": {"current_address_code": payload["address_code"], **moved},
                       "$push": {"residences": {**residence, "moved_out": None, "move_out_reason": None,
                                                **_stamp(tx)}}})


@registry.handles(ResidenceEnded)
async def residence_ended(tx: ProjectionTx) -> None:
    payload = tx.envelope.payload
    await tx.collection("persons").update_one(
        {"_id": payload["person_id"]},
        {"$set": {"residences.$[open].moved_out": payload["moved_out"],
                  "residences.$[open].move_out_reason": payload["reason"]}},
        array_filters=[{"open.moved_out": None}], session=tx.session)
    await _update(tx, {"$set": {"current_address_code": None}})


@registry.handles(MigrantRegistrationRenewed)
async def renewed(tx: ProjectionTx) -> None:
    valid_until = tx.envelope.payload["valid_until"]
    await _update(tx, {"$set": {"details.registration_valid_until": valid_until,
                                "deadline.registration_valid_until": valid_until}})


@registry.handles(PersonCancelled)
async def cancelled(tx: ProjectionTx) -> None:
    payload = tx.envelope.payload
    await _update(tx, {"$set": {"status": "cancelled", "cancellation": {
        "reason": payload["reason"], "cancelled_on": payload["cancelled_on"], "remark": payload["remark"],
        **_stamp(tx)}}})


@registry.handles(PersonMergedInto)
async def merged(tx: ProjectionTx) -> None:
    await _update(tx, {"$set": {"status": "merged", "redirect_to": tx.envelope.payload["survivor_id"]}})


@registry.handles(DuplicatePersonAbsorbed)
async def absorbed(tx: ProjectionTx) -> None:
    await _update(tx, {"$push": {"merged_from": tx.envelope.payload["duplicate_id"]}})


# key persons ----------------------------------------------------------------------------------------------
@registry.handles(KeyPersonListingApplied)
async def key_person_applied(tx: ProjectionTx) -> None:
    payload = dict(tx.envelope.payload)
    key_person_id = payload.pop("key_person_id")
    await tx.collection("key_persons").replace_one({"_id": key_person_id}, {
        **payload, "_id": key_person_id, "_version": tx.envelope.version, "state": "applied", "pending": None,
        "steps": [{"step": "listing_applied", "remark": payload["problem"], **_stamp(tx)}],
    }, upsert=True, session=tx.session)


@registry.handles(KeyPersonListed, KeyPersonListingRejected, KeyPersonReleaseApplied, KeyPersonReleased,
                  KeyPersonReleaseRejected, KeyPersonTransferRequested, KeyPersonTransferred,
                  KeyPersonRecategorizationRequested, KeyPersonRecategorized, KeyPersonRequestRejected)
async def key_person_step(tx: ProjectionTx) -> None:
    """Every step folds with the event's own ``evolve`` (contracts), so the read model and the audit agree."""
    collection = tx.collection("key_persons")
    payload = tx.envelope.payload
    document = await collection.find_one({"_id": payload["key_person_id"]}, session=tx.session)
    event = event_class(tx.envelope.event_type).model_validate(payload)
    state = event.evolve({key: value for key, value in document.items() if key not in ("_id", "steps", "_version")})
    state.pop("key_person_id", None)
    state.pop("remark", None)
    step = {"step": tx.envelope.event_type, "remark": payload.get("remark") or payload.get("reason", ""), **_stamp(tx)}
    await collection.update_one({"_id": payload["key_person_id"]}, {
        "$set": {**state, "_version": tx.envelope.version}, "$push": {"steps": step}}, session=tx.session)

