"""Quality metrics (质量指标) a supervisor is judged on, computed from records folded as of a time. Pure.

Input: every record of the division as its events declare it (``Record``); output: flat numbers, so a
report can rank, diff against last month and chart them. What the events do not carry yet is reported as 0
with a note rather than guessed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterable

from contracts import special_trades
from contracts.address_codes import ROOM_CODE_LENGTH, parse_room_code
from contracts.elements import ElementType

INACTIVE = frozenset({"retired", "merged", "cancelled", "closed"})
EXPIRY_WARNING_DAYS = 30  #: a residence permit expiring within this many days is in the backlog
ENTITY_OF = {"Place": "address", "Doorplate": "address", "Person": "person", "KeyPerson": "person",
             "House": "house", "Unit": "unit"}
LETTING_USES = frozenset({"rented", "group_rental", "dormitory"})


@dataclass
class Record:
    stream_id: str
    stream_type: str
    state: dict[str, Any]
    division_code: str
    collector: str  #: who registered it (采集人): the actor of version 1
    registered_at: datetime | None = None
    event_types: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.state.get("status") not in INACTIVE


def _day(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def in_use_addresses(records: Iterable[Record]) -> tuple[set[str], set[str]]:
    """(codes of in-use door plates and places, codes of retired or merged ones)."""
    in_use, gone = set(), set()
    for record in records:
        if record.stream_type in ("Doorplate", "Place") and "code" in record.state:
            (in_use if record.active else gone).add(record.state["code"])
    return in_use, gone


def is_linked(address_code: str | None, in_use: set[str], gone: set[str]) -> bool:
    """At an in-use standard address: a known in-use plate or place, or a room (户室, type 62) of none retired.

    Rooms are expanded by the address service and not published one by one, so a room code counts as in use
    unless its code is known retired."""
    if not address_code or address_code in gone:
        return False
    if address_code in in_use:
        return True
    if len(address_code) == ROOM_CODE_LENGTH:  # a generated room: linked while its door plate is in use
        try:
            plate = parse_room_code(address_code).doorplate_code
        except ValueError:
            return False
        return plate in in_use and plate not in gone
    return len(address_code) == 24 and address_code[9:11] == f"{int(ElementType.ROOM):02d}"


def address_metrics(records: list[Record]) -> dict[str, Any]:
    plates = [r for r in records if r.stream_type == "Doorplate"]
    active = [r for r in plates if r.active]
    places = [r for r in records if r.stream_type == "Place"]
    numbers = Counter((r.state.get("place_code"), r.state.get("door_number")) for r in active)
    return {
        "places_total": sum(r.active for r in places),
        "doorplates_total": len(active),
        "doorplates_retired": sum(r.state.get("status") == "retired" for r in plates),
        "doorplates_merged": sum(r.state.get("status") == "merged" for r in plates),
        "doorplates_duplicates_open": sum(n - 1 for n in numbers.values() if n > 1),
        "doorplates_pending_approval": sum(r.state.get("approval_state") == "pending" for r in active),
        "doorplates_located": sum(bool(r.state.get("location")) for r in active),
        "doorplates_location_rate": _rate(sum(bool(r.state.get("location")) for r in active), len(active)),
        "rooms_total": sum(b.get("room_count", 0) for r in active for b in r.state.get("buildings", [])),
    }


def residence_of(state: dict[str, Any]) -> str | None:
    """A person's current residence address (the read model's name for it, else the contract fold's)."""
    return state.get("current_address_code", state.get("address_code"))


def person_metrics(records: list[Record], in_use: set[str], gone: set[str], as_of: date) -> dict[str, Any]:
    persons = [r for r in records if r.stream_type == "Person"]
    active = [r for r in persons if r.active]
    linked = sum(is_linked(residence_of(r.state), in_use, gone) for r in active)
    documents = Counter(r.state.get("document_number") for r in active if r.state.get("document_number"))
    details = [(r.state.get("category"), r.state.get("details") or {}) for r in active]
    return {
        "persons_total": len(active),
        "persons_by_category": dict(sorted(Counter(r.state.get("category") or "unknown" for r in active).items())),
        "persons_linked": linked,
        "persons_unlinked": len(active) - linked,
        "persons_link_rate": _rate(linked, len(active)),
        "persons_phone_collected": sum(bool(r.state.get("phone")) for r in active),
        "persons_phone_rate": _rate(sum(bool(r.state.get("phone")) for r in active), len(active)),
        "persons_logic_errors": sum(bool(r.state.get("logic_errors")) for r in active),
        "persons_duplicates_open": sum(n - 1 for n in documents.values() if n > 1),
        "persons_merged": sum(r.state.get("status") == "merged" for r in persons),
        "persons_cancelled": sum(r.state.get("status") == "cancelled" for r in persons),
        "migrants_registration_expired": sum(
            c == "migrant" and (_day(d.get("registration_valid_until")) or date.max) < as_of for c, d in details),
        "residence_permits_expiring": sum(
            c == "migrant" and 0 <= ((_day(d.get("residence_permit_expiry")) or date.min) - as_of).days
            <= EXPIRY_WARNING_DAYS for c, d in details),
        "foreigners_overstaying": sum(
            c == "foreigner" and (_day(d.get("permitted_stay_until")) or date.max) < as_of for c, d in details),
    }


def house_metrics(records: list[Record], in_use: set[str], gone: set[str], as_of: date) -> dict[str, Any]:
    houses = [r for r in records if r.stream_type == "House" and r.active]
    rented = [r for r in houses if any(x.get("status") == "active" for x in r.state.get("rentals", []))]
    month = (as_of.year, as_of.month)

    def checked_this_month(record: Record) -> bool:
        return any((d.year, d.month) == month for d in (_day(c.get("checked_on")) for c in record.state.get("checks", []))
                   if d is not None)

    linked = sum(is_linked(r.state.get("address_code"), in_use, gone) for r in houses)
    return {
        "houses_total": len(houses),
        "houses_by_use": dict(sorted(Counter(r.state.get("use") or "unknown" for r in houses).items())),
        "houses_rented": len(rented),
        "houses_linked": linked,
        "houses_link_rate": _rate(linked, len(houses)),
        "houses_logic_errors": sum(r.state.get("use") not in LETTING_USES for r in rented),
        "rentals_not_checked_this_month": sum(not checked_this_month(r) for r in rented),
    }


def unit_metrics(records: list[Record], in_use: set[str], gone: set[str], as_of: date) -> dict[str, Any]:
    units = [r for r in records if r.stream_type == "Unit" and r.active]
    special = [r for r in units if r.state.get("special_trades")]

    def inspection_overdue(record: Record) -> bool:
        cycles = [t.inspection_cycle_days for t in (special_trades.get(x.get("trade")) for x in
                                                    record.state.get("special_trades", [])) if t is not None]
        since = [d for d in (_day(x.get("since")) for x in record.state.get("special_trades", [])) if d]
        last = _day(record.state.get("last_inspected_on")) or (min(since) if since else None) \
            or _day(record.state.get("opened_on"))
        return bool(cycles) and (last is None or (as_of - last).days > min(cycles))

    rectifications = [i for r in units for i in r.state.get("inspections", []) if i.get("rectification_required")
                      and i.get("rectified") is not True]
    linked = sum(is_linked(r.state.get("address_code"), in_use, gone) for r in units)
    return {
        "units_total": len(units),
        "units_special_trade": len(special),
        "units_by_type": dict(sorted(Counter(r.state.get("unit_type") or "unknown" for r in units).items())),
        "units_by_trade": dict(sorted(Counter(t.get("trade") for r in special
                                              for t in r.state.get("special_trades", [])).items())),
        "units_linked": linked,
        "units_link_rate": _rate(linked, len(units)),
        "special_trade_inspections_overdue": sum(inspection_overdue(r) for r in special),
        "unit_rectifications_overdue": sum((_day(i.get("rectification_deadline")) or date.max) < as_of
                                           for i in rectifications),
    }


def metrics(records: list[Record], as_of: datetime, address_records: list[Record] | None = None) -> dict[str, Any]:
    """Every metric over ``records``; ``address_records`` (default: the same) decide which addresses are in use."""
    in_use, gone = in_use_addresses(address_records if address_records is not None else records)
    day = as_of.date()
    return {**address_metrics(records), **person_metrics(records, in_use, gone, day),
            **house_metrics(records, in_use, gone, day), **unit_metrics(records, in_use, gone, day)}


def collectors(records: list[Record]) -> dict[str, dict[str, int]]:
    """Records registered per collector (采集人) and entity type, active ones only."""
    table: dict[str, Counter] = defaultdict(Counter)
    for record in records:
        if record.active and record.stream_type in ENTITY_OF:
            table[record.collector][record.stream_type] += 1
    return {collector: dict(sorted(counts.items())) for collector, counts in sorted(table.items())}


COMMUNITY_TYPES = frozenset({"31", "32", "33", "34"})  #: 社区, 居委会, 村委会, 村民小组


def communities(records: Iterable[Record]) -> dict[str, str]:
    """address code → community (社区/村委会) code, where the address hierarchy carries one: a community place is
    its own; a road or compound registered under a community belongs to it; a door plate to its road's."""
    places = {r.state["code"]: r.state for r in records if r.stream_type == "Place" and "code" in r.state}
    table: dict[str, str] = {}

    def of_place(code: str, depth: int = 0) -> str | None:
        place = places.get(code)
        if place is None or depth > 5:
            return None
        if str(place.get("element_type", "")).zfill(2) in COMMUNITY_TYPES:
            return code
        return of_place(place.get("parent_code", ""), depth + 1)

    for code in places:
        if (community := of_place(code)) is not None:
            table[code] = community
    for record in records:
        if record.stream_type == "Doorplate" and record.state.get("place_code") in table:
            table[record.state["code"]] = table[record.state["place_code"]]
    return table


def community_of(record: Record, table: dict[str, str]) -> str | None:
    """The record's community: its own field, else that of its address (or, for an address, itself)."""
    state = record.state
    if record.stream_type in ("Place", "Doorplate"):
        return state.get("community_code") or table.get(state.get("code") or "")
    address = residence_of(state) if record.stream_type == "Person" else state.get("address_code")
    return state.get("community_code") or table.get(address or "")


def sub_division(record: Record, division_code: str, table: dict[str, str] | None = None) -> str:
    """The next level down to rank by: townships of a county; communities of a township where addresses carry
    one (records without: the township itself)."""
    if len(division_code) <= 6:
        return record.division_code[:9] or "unknown"
    return community_of(record, table or {}) or record.division_code or "unknown"
