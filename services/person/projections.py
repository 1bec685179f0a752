"""Read models of the person service, fed by its own events and by the address registry's.

- ``person-registry``: ``persons`` (one document per person: base record, category, residences, corrections,
  deadline facts) and ``key_persons`` (the 列管 records). Each handler runs in the runner's transaction with
  the stream checkpoint, so a replay or duplicate never applies twice.
- ``person-addresses``: the service's replica of the address registry (services.replicas.address), used
  to check residence addresses and to show their *current* names (a renamed road, a merged plate).

Dates that deadline lists query are stored as ISO strings (``YYYY-MM-DD``), which sort as dates.
"""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING

from contracts import person_record
from contracts.events import event_class
from contracts.person import (
    DuplicatePersonAbsorbed, ForeignerAccommodationChanged, HouseholdRegistered, KeyPersonListed, KeyPersonListingApplied, KeyPersonListingRejected,
    KeyPersonRecategorizationRequested, KeyPersonRecategorized, KeyPersonReleaseApplied, KeyPersonReleased,
    KeyPersonReleaseRejected, KeyPersonRequestRejected, KeyPersonTransferRequested, KeyPersonTransferred,
    MigrantRegistrationRenewed, MigrantSettled, PersonCancelled, PersonCategoryChanged, PersonCorrected,
    PersonMergedInto, PersonRegistered, ResidenceDetailsChanged, ResidenceEnded, ResidencePermitIssued,
    ResidenceRegistered, StayPermitChanged,
)
from contracts.person_deadlines import DeadlineFacts, registered_late
from services.kernel.messaging.projection import Projection, ProjectionTx
from services.replicas.address import address_replica

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
#: a person's (a key person's) events read its document first: the batch's are read in one query
registry.prefetch("persons", person_record.person_id_of)
registry.prefetch("key_persons", person_record.key_person_id_of)
registry.index("key_persons", [("division_code", ASCENDING), ("state", ASCENDING)])

addresses = address_replica(ADDRESSES)


PERSON_EVENTS = (PersonRegistered, PersonCategoryChanged, PersonCorrected, ResidenceRegistered, ResidenceEnded,
                 MigrantRegistrationRenewed, ResidencePermitIssued, StayPermitChanged, MigrantSettled,
                 HouseholdRegistered, ResidenceDetailsChanged, PersonCancelled, PersonMergedInto, DuplicatePersonAbsorbed,
                 ForeignerAccommodationChanged)


def _stamp(envelope) -> dict:
    return {"at": envelope.occurred_at, "by": envelope.actor.id, "event": envelope.event_type}


def deadline_fields(category: str, details: dict, registered_at: datetime | None, before: dict | None = None) -> dict:
    """What the deadline lists query, stored flat; the 'registered late' facts are fixed at registration (and at
    a change of category, and at a foreigner's change of accommodation, judged on the new stay): ``registered_at``
    None keeps them from ``before``."""
    dates = {"permit_expiry": details.get("residence_permit_expiry"),
             "registration_valid_until": details.get("registration_valid_until"),
             "permitted_stay_until": details.get("permitted_stay_until")}
    if registered_at is None:
        return {**(before or {}), **dates}
    late = registered_late(DeadlineFacts.of(category, "active", registered_at, details))
    return {"category": category, "registered_late": late, **dates}


#: 落户 events and the category each leaves (the step's ``from`` in the category history)
SETTLED_FROM = {"MigrantSettled": "migrant", "HouseholdRegistered": "unregistered"}


def registry_record(stored: dict | None, envelope) -> dict:
    """The registry's document of a person after one of its events: the person record's transition
    (contracts.person_record), plus who and when of each step, corrections and category changes as history, the
    reversed number for suffix lookups and the facts the deadline lists query."""
    event_type, payload, stamp = envelope.event_type, envelope.payload, _stamp(envelope)
    document = person_record.evolve(dict(stored or {}), event_type, payload)
    if event_type == "PersonRegistered":
        document.update(corrections=[], category_history=[], cancellation=None, registered_at=envelope.occurred_at,
                        registered_by=envelope.actor.id)
    elif event_type == "PersonCategoryChanged":
        document["category_history"] = [*document["category_history"], {
            "from": payload["old_category"], "to": payload["category"], "reason": payload["reason"], **stamp}]
    elif event_type in SETTLED_FROM:  # 流动/未落户 → 常住, kept in the same history as any category change
        document["category_history"] = [*document["category_history"], {
            "from": SETTLED_FROM[event_type], "to": "registered", "reason": payload["reason"] or "落户", **stamp}]
    elif event_type == "PersonCorrected":
        document["corrections"] = [*document["corrections"], {
            **{key: payload[key] for key in ("changes", "old_values", "reason_code", "remark")}, **stamp}]
    elif event_type == "ResidenceRegistered":
        document["residences"][-1] = {**document["residences"][-1], **stamp}
    elif event_type == "ForeignerAccommodationChanged":  # 住宿变更: a move-in, registered (24-hour rule) now
        document["residences"][-1] = {**document["residences"][-1], **stamp}
        document["accommodation_registered_at"] = envelope.occurred_at
    elif event_type == "PersonCancelled":
        document["cancellation"] = {**document["cancellation"], **stamp}
    fixed_at = envelope.occurred_at if event_type in ("PersonRegistered", "PersonCategoryChanged",
                                                      "ForeignerAccommodationChanged", *SETTLED_FROM) else None
    document.pop("person_id", None)
    return {**document, "_id": payload["person_id"], "_version": envelope.version,
            "document_number_reversed": document["document_number"][::-1],
            "deadline": deadline_fields(document["category"], document["details"], fixed_at, document.get("deadline"))}


# persons --------------------------------------------------------------------------------------------------
@registry.handles(*PERSON_EVENTS)
async def person_event(tx: ProjectionTx) -> None:
    persons, person_id = tx.collection("persons"), tx.envelope.payload["person_id"]
    stored = await persons.find_one({"_id": person_id}, session=tx.session)
    await persons.replace_one({"_id": person_id}, registry_record(stored, tx.envelope), upsert=True,
                              session=tx.session)


# key persons ----------------------------------------------------------------------------------------------
@registry.handles(KeyPersonListingApplied)
async def key_person_applied(tx: ProjectionTx) -> None:
    payload = dict(tx.envelope.payload)
    key_person_id = payload.pop("key_person_id")
    await tx.collection("key_persons").replace_one({"_id": key_person_id}, {
        **payload, "_id": key_person_id, "_version": tx.envelope.version, "state": "applied", "pending": None,
        "steps": [{"step": "listing_applied", "remark": payload["problem"], **_stamp(tx.envelope)}],
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
    step = {"step": tx.envelope.event_type, "remark": payload.get("remark") or payload.get("reason", ""),
            **_stamp(tx.envelope)}
    await collection.update_one({"_id": payload["key_person_id"]}, {
        "$set": {**state, "_version": tx.envelope.version}, "$push": {"steps": step}}, session=tx.session)

