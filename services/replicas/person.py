"""A service's own replica of the person registry's published facts (ybss.person.events), for the views other
contexts answer about people: 以房管人 (house service: who lives at an address) and 以业管人 (unit service: where
its employees live).

One document per person: name, document, category, status, jurisdiction, the current residence and the dated
residence history, and the person's key-person records (重点人员, by key-person id). Every write comes from the
person's own stream or its key-person streams, each applied in order; they write different fields of one
document, so the replica converges whatever the interleaving of partitions. Views join it at read time with
their own registry by person id or address code.
"""

from __future__ import annotations

from pymongo import ASCENDING

from contracts import person_record
from contracts.events import event_class
from contracts.key_person_record import ACTIVE_STATES
from contracts.person import (
    ForeignerAccommodationChanged, HouseholdRegistered, KeyPersonListed, KeyPersonListingApplied, KeyPersonListingRejected, KeyPersonRecategorized,
    KeyPersonReleaseApplied, KeyPersonReleased, KeyPersonReleaseRejected, KeyPersonTransferred, MigrantSettled, PersonCancelled,
    PersonCategoryChanged,
    PersonCorrected, PersonMergedInto, PersonRegistered, ResidenceDetailsChanged, ResidenceEnded, ResidenceRegistered,
)
from services.kernel.messaging.projection import Projection, ProjectionTx
from services.kernel.messaging.read_models import ReadModels

PERSONS = "persons"
KEY_PERSONS = "key_person_owners"
BASE_FIELDS = ("name", "document_type", "document_number", "sex", "birth_date", "category", "division_code")
KEY_FIELDS = ("state", "category_code", "division_code", "responsible_unit", "responsible_officer")
RESIDENCE_FIELDS = ("address_code", "address_name", "moved_in", "moved_out", "residence_type")
PERSON_EVENTS = (PersonRegistered, ResidenceRegistered, ResidenceEnded, PersonCancelled, PersonMergedInto,
                 PersonCategoryChanged, MigrantSettled, HouseholdRegistered, PersonCorrected,
                 ResidenceDetailsChanged, ForeignerAccommodationChanged)


def replica_record(stored: dict, event_type: str, payload: dict, occurred_at=None) -> dict:
    """What the replica keeps of a person after one of its events: the person record's transition
    (contracts.person_record), with the current residence's address, date and kind at the top for queries."""
    person = person_record.evolve({key: value for key, value in stored.items() if key != "_id"}, event_type, payload)
    current = person_record.open_residence(person) or {}
    return {**{key: person.get(key) for key in BASE_FIELDS + ("status", "redirect_to")},
            "residences": [{key: entry.get(key) for key in RESIDENCE_FIELDS} for entry in person.get("residences", [])],
            **{key: current.get(key) for key in ("address_code", "moved_in", "residence_type")},
            "cancelled_on": (person.get("cancellation") or {}).get("cancelled_on", person.get("cancelled_on")),
            "registered_at": person.get("registered_at") or occurred_at}


def person_replica(name: str) -> Projection:
    """A projection ``name`` over ybss.person.events keeping ``persons`` (and the key-person → person map)."""
    projection = Projection(name, sources=["person"], collections=[PERSONS, KEY_PERSONS])
    projection.index(PERSONS, [("address_code", ASCENDING)])
    projection.index(PERSONS, [("division_code", ASCENDING), ("status", ASCENDING)])
    #: every event reads the person's document (a key person's: its owner first): the batch's in one query each
    projection.prefetch(PERSONS, person_record.person_id_of)
    projection.prefetch(KEY_PERSONS, person_record.key_person_id_of)

    async def update(tx: ProjectionTx, person_id: str, change: dict) -> None:
        await tx.collection(PERSONS).update_one({"_id": person_id}, change, upsert=True, session=tx.session)

    @projection.handles(*PERSON_EVENTS)
    async def person_event(tx: ProjectionTx) -> None:
        payload = tx.envelope.payload
        stored = await tx.collection(PERSONS).find_one({"_id": payload["person_id"]}, {"key_persons": 0},
                                                       session=tx.session) or {}
        await update(tx, payload["person_id"], {"$set": replica_record(stored, tx.envelope.event_type, payload,
                                                                       tx.envelope.occurred_at)})

    @projection.handles(KeyPersonListingApplied)
    async def key_person_applied(tx: ProjectionTx) -> None:
        payload = tx.envelope.payload
        await tx.collection(KEY_PERSONS).replace_one({"_id": payload["key_person_id"]},
                                                     {"person_id": payload["person_id"]}, upsert=True,
                                                     session=tx.session)
        state = KeyPersonListingApplied.model_validate(payload).evolve({})
        await update(tx, payload["person_id"],
                     {"$set": {f"key_persons.{payload['key_person_id']}": {key: state.get(key) for key in KEY_FIELDS}}})

    @projection.handles(KeyPersonListed, KeyPersonListingRejected, KeyPersonReleaseApplied, KeyPersonReleased,
                        KeyPersonReleaseRejected, KeyPersonTransferred, KeyPersonRecategorized)
    async def key_person_step(tx: ProjectionTx) -> None:
        payload = tx.envelope.payload
        key_person_id = payload["key_person_id"]
        owner = await tx.collection(KEY_PERSONS).find_one({"_id": key_person_id}, session=tx.session)
        if owner is None:
            return
        persons = tx.collection(PERSONS)
        stored = await persons.find_one({"_id": owner["person_id"]}, {f"key_persons.{key_person_id}": 1},
                                        session=tx.session) or {}
        before = (stored.get("key_persons") or {}).get(key_person_id, {})
        state = event_class(tx.envelope.event_type).model_validate(payload).evolve(dict(before))
        await update(tx, owner["person_id"],
                     {"$set": {f"key_persons.{key_person_id}": {key: state.get(key) for key in KEY_FIELDS}}})

    return projection


def is_key_person(document: dict | None) -> bool:
    """已列管 under any of the person's key-person records (a release pending still counts)."""
    return any(record.get("state") in ACTIVE_STATES
               for record in ((document or {}).get("key_persons") or {}).values())


def person_locator(reads: ReadModels, projection: str):
    """Where a ``person-<id>`` or ``keyperson-<id>`` stream's record lies, as the replica ``projection`` knows it:
    (known, division_code) for services.kernel.web.reads.caught_up_after (``after=`` tokens are refused outside the
    caller's jurisdiction). A key person lies where its record is kept (its own division)."""

    async def locate(stream_id: str) -> tuple[bool, str | None]:
        kind, _, identifier = stream_id.partition("-")
        persons = reads.read_model(projection, PERSONS)
        if kind == "person":
            document = await persons.find_one({"_id": identifier}, {"division_code": 1, "status": 1})
            return (document is not None and "status" in document), (document or {}).get("division_code")
        if kind == "keyperson":
            owner = await reads.read_model(projection, KEY_PERSONS).find_one({"_id": identifier})
            document = await persons.find_one({"_id": owner["person_id"]}, {f"key_persons.{identifier}": 1}) \
                if owner else None
            record = ((document or {}).get("key_persons") or {}).get(identifier)
            return record is not None, (record or {}).get("division_code")
        return False, None

    return locate
