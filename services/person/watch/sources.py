"""Which persons a causing event concerns, and what of it an alert shows: one row per event type.

A new source is a small addition: a row here, the event class in the watch projection's ``handles`` (and its
context in ``sources`` and contracts/contexts.py ``consumes``), and a rule naming the event type in rules.json.
For agency records (the ``ingest`` context, e.g. a hotel stay), the row maps the record's person id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


def _pick(payload: dict, *keys: str) -> dict:
    return {key: payload.get(key) for key in keys if payload.get(key) is not None}


def _person(payload: dict) -> list[str]:
    return [payload["person_id"]] if payload.get("person_id") else []


def _lessor(payload: dict) -> list[str]:
    lessor = payload.get("lessor") or {}
    return [lessor["person_id"]] if lessor.get("person_id") else []


@dataclass(frozen=True)
class Source:
    persons: Callable[[dict], list[str]]  #: the person ids the event concerns
    facts: Callable[[dict], dict]  #: what of the event the alert shows


SOURCES: dict[str, Source] = {
    "ResidenceRegistered": Source(_person, lambda p: _pick(p, "address_code", "address_name", "moved_in",
                                                            "residence_type", "division_code")),
    # 境外人员住宿变更: a move to another accommodation, like 入住
    "ForeignerAccommodationChanged": Source(_person, lambda p: _pick(p, "address_code", "address_name", "moved_in",
                                                                      "accommodation", "division_code")),
    "TenantMovedIn": Source(_person, lambda p: _pick(p, "house_id", "rental_id", "moved_in")),
    "RentalStarted": Source(_lessor, lambda p: _pick(p, "house_id", "rental_id", "start", "rooms_let")),
    "RentalLessorReplaced": Source(_lessor, lambda p: _pick(p, "house_id", "rental_id", "replaced_on", "lessor_role")),
    "EmployeeHired": Source(_person, lambda p: _pick(p, "unit_id", "position", "hired")),
    "PersonCancelled": Source(_person, lambda p: _pick(p, "reason", "cancelled_on")),
    # 旅馆住宿登记 reported by a hotel (agency record type hotel_stay, services/person/agency_records.py)
    "HotelStayRecorded": Source(_person, lambda p: _pick(p, "hotel_name", "hotel_unit_id", "address_code", "room",
                                                         "checked_in", "checked_out", "division_code")),
}
