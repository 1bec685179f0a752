"""How each event of a person's stream changes the person record (实有人口记录): one pure function per event.

The one definition every reader folds with (issue 21): the events' ``evolve`` (so the audit's fold), the person
aggregate, the registry projection, 查人知住 and the other contexts' person replicas. Plain JSON values in and
out (dates as ``YYYY-MM-DD``), so a consumer passes a stored document or a bare payload alike; each consumer
keeps of the record what it shows and adds only its own bookkeeping (who and when, histories).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

Record = dict[str, Any]


def _without_id(payload: dict) -> dict:
    return {key: value for key, value in payload.items() if key != "person_id"}


def _close_open(residences: list[dict], day: str | None, reason: str | None = None) -> list[dict]:
    """The open residence (if any) ends on ``day``: 入住 elsewhere, 迁出 or 注销."""
    return [{**entry, "moved_out": day, "move_out_reason": reason} if entry.get("moved_out") is None else dict(entry)
            for entry in residences]


def registered(state: Record, payload: dict) -> Record:
    return {**state, **payload, "status": "active", "redirect_to": None, "residences": [],
            "current_address_code": None, "merged_from": []}


def category_changed(state: Record, payload: dict) -> Record:
    return {**state, "category": payload["category"], "details": payload["details"]}


def corrected(state: Record, payload: dict) -> Record:
    return {**state, **payload["changes"]}


def residence_registered(state: Record, payload: dict) -> Record:
    """入住 / 市内迁移: the open residence ends the day the new one begins; the address's township owns the record."""
    entry = {**_without_id(payload), "moved_out": None, "move_out_reason": None}
    moved = {"division_code": payload["division_code"]} if payload.get("division_code") else {}
    return {**state, "residences": [*_close_open(state.get("residences", []), payload["moved_in"]), entry],
            "current_address_code": payload["address_code"], **moved}


def residence_ended(state: Record, payload: dict) -> Record:
    """迁出 / 离开: the open residence ends, with the reason given."""
    return {**state, "residences": _close_open(state.get("residences", []), payload["moved_out"], payload.get("reason")),
            "current_address_code": None}


def registration_renewed(state: Record, payload: dict) -> Record:
    """暂住登记续期."""
    return {**state, "details": {**(state.get("details") or {}), "registration_valid_until": payload["valid_until"]}}


def residence_permit_issued(state: Record, payload: dict) -> Record:
    """居住证签发 / 换领: the permit's number and expiry replace the ones held (the deadline flags read them)."""
    permit = {"residence_permit_number": payload["permit_number"], "residence_permit_expiry": payload["expires_on"]}
    return {**state, "details": {**(state.get("details") or {}), **permit}}


def stay_permit_changed(state: Record, payload: dict) -> Record:
    """签证 / 停留期限变更: the new end of the permitted stay, and the visa's type and number when given."""
    visa = {key: payload[key] for key in ("visa_type", "visa_number") if payload.get(key) is not None}
    return {**state, "details": {**(state.get("details") or {}),
                                 "permitted_stay_until": payload["permitted_stay_until"], **visa}}


def _registered_resident(state: Record, payload: dict, day: str) -> Record:
    """落户: the record is a registered resident's (常住人口) of the household given, from ``day``."""
    details = {"category": "registered", "moved_in_on": day, "move_in_reason": "落户",
               **{key: payload[key] for key in ("household_number", "relation_to_head", "lives_at_registered_address")}}
    return {**state, "category": "registered", "details": details}


def migrant_settled(state: Record, payload: dict) -> Record:
    """流动人口落户 (流动 → 常住)."""
    return _registered_resident(state, payload, payload["settled_on"])


def household_registered(state: Record, payload: dict) -> Record:
    """未落户人员落户 (未落户 → 常住)."""
    return _registered_resident(state, payload, payload["registered_on"])


def residence_details_changed(state: Record, payload: dict) -> Record:
    """居住事由 / 居住类型 / 房主变更: the open residence keeps its address and dates; the fields given replace theirs."""
    changes = {"reason": payload.get("residence_reason"), "residence_type": payload.get("residence_type"),
               "host_person_id": payload.get("host_person_id")}
    changes = {key: value for key, value in changes.items() if value is not None}
    return {**state, "residences": [{**entry, **changes, "details_changed_on": payload["changed_on"]}
                                    if entry.get("moved_out") is None else dict(entry)
                                    for entry in state.get("residences", [])]}


def accommodation_changed(state: Record, payload: dict) -> Record:
    """境外人员住宿变更: a move-in at the new address (the open residence ends that day), and the accommodation's
    type, arrival and host unit replace the ones held (the 24-hour registration deadline reads them)."""
    moved = residence_registered(state, {
        "address_code": payload["address_code"], "requested_code": payload.get("requested_code"),
        "address_name": payload.get("address_name"), "moved_in": payload["moved_in"], "reason": payload["reason"],
        "residence_type": payload["accommodation"], "owner_name": None, "lessor_name": None,
        "division_code": payload.get("division_code")})
    stay = {"accommodation": payload["accommodation"], "arrived_at": payload["arrived_at"],
            **({"host_unit": payload["host_unit"]} if payload.get("host_unit") is not None else {})}
    return {**moved, "details": {**(moved.get("details") or {}), **stay}}


def cancelled(state: Record, payload: dict) -> Record:
    return {**state, "status": "cancelled", "cancellation": _without_id(payload)}


def merged_into(state: Record, payload: dict) -> Record:
    return {**state, "status": "merged", "redirect_to": payload["survivor_id"]}


def absorbed(state: Record, payload: dict) -> Record:
    return {**state, "merged_from": [*state.get("merged_from", []), payload["duplicate_id"]]}


TRANSITIONS: dict[str, Callable[[Record, dict], Record]] = {
    "PersonRegistered": registered, "PersonCategoryChanged": category_changed, "PersonCorrected": corrected,
    "ResidenceRegistered": residence_registered, "ResidenceEnded": residence_ended,
    "MigrantRegistrationRenewed": registration_renewed, "ResidencePermitIssued": residence_permit_issued,
    "StayPermitChanged": stay_permit_changed, "MigrantSettled": migrant_settled,
    "HouseholdRegistered": household_registered,    "ResidenceDetailsChanged": residence_details_changed, "PersonCancelled": cancelled,
    "ForeignerAccommodationChanged": accommodation_changed,
    "PersonMergedInto": merged_into, "DuplicatePersonAbsorbed": absorbed,
}


def evolve(state: Record, event_type: str, payload: dict) -> Record:
    """The record after one event of the person's stream (an event of another kind changes nothing)."""
    transition = TRANSITIONS.get(event_type)
    return transition(state, payload) if transition else state


def evolve_event(event: Any, state: Record) -> Record:
    """``DomainEvent.evolve`` of every person event (contracts.person): the same transition."""
    return evolve(state, type(event).__name__, event.model_dump(mode="json"))


def fold(events: Iterable[tuple[str, dict]], state: Record | None = None) -> Record:
    for event_type, payload in events:
        state = evolve(state or {}, event_type, payload)
    return state or {}


def open_residence(state: Record) -> dict | None:
    """The residence not ended yet (where the person lives now), or None."""
    return next((entry for entry in reversed(state.get("residences") or []) if entry.get("moved_out") is None), None)


def person_id_of(envelope: Any) -> str | None:
    """The person a Person stream's event is about, None for other streams: the key a projection's batch reads the
    persons' documents ahead by (both person read models use it)."""
    return envelope.payload.get("person_id") if envelope.stream_type == "Person" else None


def key_person_id_of(envelope: Any) -> str | None:
    """The key-person record a KeyPerson stream's event is about (重点人员), None for other streams: the key its
    owner map and record are read ahead by."""
    return envelope.payload.get("key_person_id") if envelope.stream_type == "KeyPerson" else None
