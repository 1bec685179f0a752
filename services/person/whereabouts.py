"""查人知住 read model: one document per person, fed by the person, house and unit topics in any order.

Order tolerance by construction: every section of a person's document is written by ONE source stream only
(``person`` by the person's own stream, ``houses.<house_id>`` by that house's stream, ``units.<unit_id>`` by
that unit's stream), and a stream's events are applied in order (the runner's checkpoints). So whatever the
interleaving of topics and partitions, each section ends as the fold of its own stream, and the answer is
derived from the sections at read time (services.person.views.whereabouts). Writes of different streams to the
same person's document touch one document, so concurrent partition transactions conflict and retry instead of
losing a write.

To know who a house or unit event concerns, the projection keeps each house and unit folded (``wa_houses``,
``wa_units``, through the contracts' own ``evolve``) and rewrites only the persons whose slice changed.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING

from contracts.events import event_class
from contracts.house import (
    HouseChecked, HouseDemolished, HouseDetailsCorrected, HouseKeyStatusApproved, HouseKeyStatusRejected,
    HouseKeyStatusRequested, HouseKeyStatusSet, HouseOwnerChanged, HouseRegistered, HouseUseChanged, RentalEnded,
    RentalLessorReplaced, RentalSecurityPersonReplaced, RentalStarted, RentalTermsChanged, TenantMovedIn,
    TenantMovedOut,
)
from contracts import person_record
from contracts.identity import IdentityError, validate_document
from contracts.person import (
    ForeignerAccommodationChanged, HouseholdRegistered, MigrantRegistrationRenewed, MigrantSettled, PersonCancelled, PersonCategoryChanged,
    PersonCorrected, PersonMergedInto, PersonRegistered, ResidenceDetailsChanged, ResidenceEnded, ResidenceRegistered,
)
from contracts.unit import (
    EmployeeHired, EmployeeLeft, SpecialTradeAdded, SpecialTradeRemoved, UnitClosed, UnitDetailsCorrected,
    UnitRegistered, UnitRelocated, UnitRenamed, UnitReopened, UnitSuspended,
)
from services.kernel.messaging.projection import Projection, ProjectionTx, stream_field

WHEREABOUTS = "person-whereabouts"
HOUSES_FOLDED = "wa_houses"  #: each house folded from the house topic (also read by the address port: demolished houses)

whereabouts = Projection(WHEREABOUTS, sources=["person", "house", "unit"],
                         collections=["whereabouts", HOUSES_FOLDED, "wa_units"])


def named_persons(envelope) -> list[str]:
    """The persons an event names itself: its person (a person's own event, a tenant's move-in, a hire), a
    house's owner or a rental's lessor; the documents the batch reads ahead (a house event may change the slice of
    a person it does not name: that one is read when needed)."""
    payload = envelope.payload
    named = [payload.get("person_id"), *((payload.get(party) or {}).get("person_id") for party in ("owner", "lessor"))]
    return [person_id for person_id in named if person_id]


#: every event reads the documents of the persons it concerns and the house or unit it folds: the batch's are
#: read in one query per collection
whereabouts.prefetch("whereabouts", named_persons)
whereabouts.prefetch(HOUSES_FOLDED, stream_field("House", "house_id"))
whereabouts.prefetch("wa_units", stream_field("Unit", "unit_id"))
whereabouts.index("whereabouts", [("person.document_number", ASCENDING)])
whereabouts.index("whereabouts", [("logic_errors.rule", ASCENDING), ("person.division_code", ASCENDING)])
whereabouts.index("whereabouts", [("person.current_address_code", ASCENDING)])
whereabouts.index(HOUSES_FOLDED, [("address_code", ASCENDING)])
whereabouts.index("whereabouts", [("person.registration_valid_until", ASCENDING), ("person.category", ASCENDING)])

PERSON_FIELDS = ("name", "document_type", "document_number", "sex", "birth_date", "category", "division_code")
KEPT = ("status", "residences", "redirect_to", "current_address_code")


# ---------------------------------------------------------------------------------------------- pure folds
def fold_person(section: dict | None, event_type: str, payload: dict, occurred_at: Any = None) -> dict:
    """The person's own facts after one of its events: the person record's transition (contracts.person_record),
    of which the section keeps the identity, status, residences and the migrant registration's term."""
    person = person_record.evolve(section or {}, event_type, payload)
    term = (person.get("details") or {}).get("registration_valid_until")
    return {**{key: person.get(key) for key in PERSON_FIELDS + KEPT}, "details": {"registration_valid_until": term},
            "registration_valid_until": term,
            "cancelled_on": (person.get("cancellation") or {}).get("cancelled_on", person.get("cancelled_on"))}


def house_slices(house_id: str, state: dict) -> dict[str, dict]:
    """What a house says about each person it names: owner, tenancies (with the rental and lessor), lets."""
    slices: dict[str, dict] = {}

    def slot(person_id: str) -> dict:
        return slices.setdefault(person_id, {
            "house_id": house_id, "address_code": state.get("address_code"), "address_name": state.get("address_name"),
            "division_code": state.get("division_code"), "use": state.get("use"), "owner": False,
            "tenancies": [], "lets": []})

    owner = state.get("owner") or {}
    if owner.get("person_id"):
        slot(owner["person_id"])["owner"] = True
    for rental in state.get("rentals", []):
        summary = {"rental_id": rental.get("rental_id"), "status": rental.get("status"), "start": rental.get("start"),
                   "end": rental.get("end"), "ended_on": rental.get("ended_on"), "lessor": rental.get("lessor"),
                   "security_person": rental.get("security_person")}
        lessor = rental.get("lessor") or {}
        if lessor.get("person_id"):
            slot(lessor["person_id"])["lets"].append(summary)
        for tenant in rental.get("tenants", []):
            slot(tenant["person_id"])["tenancies"].append(
                {**summary, "moved_in": tenant.get("moved_in"), "moved_out": tenant.get("moved_out")})
    return slices


def unit_slices(unit_id: str, state: dict) -> dict[str, dict]:
    """What a unit says about each person it employs (every employment with its dates)."""
    slices: dict[str, dict] = {}
    for employee in state.get("employees", []):
        entry = slices.setdefault(employee["person_id"], {
            "unit_id": unit_id, "name": state.get("name"), "address_code": state.get("address_code"),
            "address_name": state.get("address_name"), "division_code": state.get("division_code"),
            "status": state.get("status"), "special_trades": sorted(t["trade"] for t in state.get("special_trades", [])),
            "employment": []})
        entry["employment"].append({"position": employee.get("position"), "hired": employee.get("hired"),
                                    "left": employee.get("left")})
    return slices


# ---------------------------------------------------------------------------------------------- handlers
# ---------------------------------------------------------------------------------------------- logic errors
def identity_mismatch(person: dict) -> list[str]:
    """Fields (sex, birth_date) contradicting what the ID number says (kept from legacy imports)."""
    try:
        identity = validate_document(person.get("document_type") or "", person.get("document_number") or "")
    except (IdentityError, ValueError):
        return []
    wrong = []
    if identity.sex and person.get("sex") and identity.sex != person["sex"]:
        wrong.append("sex")
    if identity.birth_date and person.get("birth_date") and identity.birth_date.isoformat() != person["birth_date"]:
        wrong.append("birth_date")
    return wrong


def logic_errors(document: dict) -> list[dict]:
    """逻辑错误 of a person that the stored facts show (the time- and address-dependent ones are judged when
    read: services.person.views.logic_errors). Recomputed by every writer of the document, so it is the
    errors of all its sections together, and a later event that fixes one clears it."""
    person = document.get("person") or {}
    errors = []
    if person:
        wrong = identity_mismatch(person)
        if wrong:
            errors.append({"rule": "person.identity_mismatch", "fields": wrong,
                           "document_number": person.get("document_number")})
    if person.get("status") == "cancelled":
        for unit in (document.get("units") or {}).values():
            if any(employment.get("left") is None for employment in unit.get("employment", [])):
                errors.append({"rule": "unit.employee_cancelled", "unit_id": unit["unit_id"],
                               "unit_division_code": unit.get("division_code")})
    return sorted(errors, key=lambda error: (error["rule"], error.get("unit_id") or ""))


@whereabouts.handles(PersonRegistered, ResidenceRegistered, ResidenceEnded, PersonCancelled, PersonMergedInto,
                     PersonCategoryChanged, PersonCorrected, MigrantRegistrationRenewed, MigrantSettled,
                     HouseholdRegistered, ResidenceDetailsChanged, ForeignerAccommodationChanged)
async def person_event(tx: ProjectionTx) -> None:
    envelope, documents = tx.envelope, tx.collection("whereabouts")
    person_id = envelope.payload["person_id"]
    stored = await documents.find_one({"_id": person_id}, session=tx.session) or {}
    person = fold_person(stored.get("person"), envelope.event_type, envelope.payload, envelope.occurred_at)
    await documents.update_one({"_id": person_id}, {"$set": {
        "person": person, "_person_version": envelope.version,
        "logic_errors": logic_errors({**stored, "person": person})}}, upsert=True, session=tx.session)


async def _fold_source(tx: ProjectionTx, collection: str, id_field: str, slices, section: str) -> None:
    """Fold the house/unit, then rewrite the slice of every person it names whose slice changed."""
    envelope, sources = tx.envelope, tx.collection(collection)
    source_id = envelope.payload[id_field]
    stored = await sources.find_one({"_id": source_id}, session=tx.session) or {}
    before = {key: value for key, value in stored.items() if key != "_id"}
    after = event_class(envelope.event_type).model_validate(envelope.payload).evolve(before)
    await sources.replace_one({"_id": source_id}, {**after, "_id": source_id}, upsert=True, session=tx.session)
    old, new = slices(source_id, before), slices(source_id, after)
    documents = tx.collection("whereabouts")
    for person_id in sorted(old.keys() | new.keys()):
        if old.get(person_id) == new.get(person_id):
            continue
        stored = await documents.find_one({"_id": person_id}, session=tx.session) or {}
        slices_now = {**(stored.get(section) or {})}
        if person_id in new:
            slices_now[source_id] = new[person_id]
            change: dict = {"$set": {f"{section}.{source_id}": new[person_id]}}
        else:
            slices_now.pop(source_id, None)
            change = {"$unset": {f"{section}.{source_id}": ""}, "$set": {}}
        change["$set"]["logic_errors"] = logic_errors({**stored, section: slices_now})
        await documents.update_one({"_id": person_id}, change, upsert=True, session=tx.session)


@whereabouts.handles(HouseRegistered, HouseDetailsCorrected, HouseUseChanged, HouseOwnerChanged, HouseKeyStatusSet,
                     RentalStarted, TenantMovedIn, TenantMovedOut, RentalEnded, HouseChecked, HouseDemolished,
                     RentalTermsChanged, RentalLessorReplaced, RentalSecurityPersonReplaced,  # end, lessor, 治安责任人
                     HouseKeyStatusRequested, HouseKeyStatusApproved, HouseKeyStatusRejected)
async def house_event(tx: ProjectionTx) -> None:
    if tx.envelope.event_type == "HouseChecked":
        return  # a check names nobody
    await _fold_source(tx, HOUSES_FOLDED, "house_id", house_slices, "houses")


@whereabouts.handles(UnitRegistered, UnitDetailsCorrected, UnitSuspended, UnitClosed, UnitReopened,
                     SpecialTradeAdded, SpecialTradeRemoved, EmployeeHired, EmployeeLeft, UnitRelocated,
                     UnitRenamed)  # 名称变更: an employee's employer shows its new name
async def unit_event(tx: ProjectionTx) -> None:
    await _fold_source(tx, "wa_units", "unit_id", unit_slices, "units")
