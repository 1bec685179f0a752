"""How each event of a key person's stream (重点人员, ``keyperson-<id>``) changes its record: one pure function per
event over JSON values, the one definition the KeyPerson aggregate, the events' ``evolve`` (the registry
projection, the replicas, the audit's fold) and the key-person watch fold with (issue 21).

    列管申请 applied → 已列管 listed → 撤管申请 release_applied → 已撤管 released (or rejected; a refused release
    stays listed); while listed one pending request: 转递 (transfer) or 转类 (recategorization).
"""

from __future__ import annotations

from typing import Any, Callable

from contracts.listing import Workflow

Record = dict[str, Any]

#: the waiting states' names in a key-person record (列管申请, 撤管申请)
KEY_PERSON = Workflow(requested="applied", release_requested="release_applied")
#: 已列管: the person is a key person in these states (a release pending still counts)
ACTIVE_STATES = KEY_PERSON.active


def _state(value: str) -> Callable[[Record, dict], Record]:
    return lambda state, payload: {**state, "state": value}


def _request(kind: str) -> Callable[[Record, dict], Record]:
    return lambda state, payload: {**state, "pending": {"kind": kind, **{key: value for key, value in payload.items()
                                                                          if key != "key_person_id"}}}


def transferred(state: Record, payload: dict) -> Record:
    """转递审批通过: the record now belongs to the receiving jurisdiction and unit."""
    return {**state, "division_code": payload["to_division_code"], "responsible_unit": payload["to_unit"],
            "responsible_officer": payload.get("to_officer") or state.get("responsible_officer"), "pending": None}


TRANSITIONS: dict[str, Callable[[Record, dict], Record]] = {
    "KeyPersonListingApplied": lambda state, payload: {**state, **payload, "state": "applied", "pending": None},
    "KeyPersonListed": _state("listed"), "KeyPersonListingRejected": _state("rejected"),
    "KeyPersonReleaseApplied": lambda state, payload: {**state, "state": "release_applied",
                                                       "release_reason": payload["reason"]},
    "KeyPersonReleased": _state("released"), "KeyPersonReleaseRejected": _state("listed"),
    "KeyPersonTransferRequested": _request("transfer"), "KeyPersonTransferred": transferred,
    "KeyPersonRecategorizationRequested": _request("recategorization"),
    "KeyPersonRecategorized": lambda state, payload: {**state, "category_code": payload["to_category_code"],
                                                      "pending": None},
    "KeyPersonRequestRejected": lambda state, payload: {**state, "pending": None},
}


def evolve(state: Record, event_type: str, payload: dict) -> Record:
    """The record after one event of the key person's stream (an event of another kind changes nothing)."""
    transition = TRANSITIONS.get(event_type)
    return transition(state, payload) if transition else state


def evolve_event(event: Any, state: Record) -> Record:
    """``DomainEvent.evolve`` of every key-person event (contracts.person): the same transition."""
    return evolve(state, type(event).__name__, event.model_dump(mode="json"))
