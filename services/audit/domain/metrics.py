"""Quality metrics (质量指标) a supervisor is judged on. Pure: one rule per figure, in one place.

Every figure is a sum of what each record contributes (``counts``: a record's *facts* on a day), except the
open duplicates, which count per group of records sharing a key (``duplicate_key``), and the 应采未采 that join
two registries at one address (``joins``: a door plate and its houses, a house and its residents). Both the incremental
figures (services/audit/projections/figures.py, which keeps each record's contribution day by day) and the
full re-fold kept as their reference (``metrics`` over folded records) call these same functions, so the two
can only differ in *when* they look, never in *what* they count. What the events do not carry yet is
reported as 0 with a note rather than guessed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Callable, Iterable, Mapping

from contracts.calendar import CHINA, local_date as local_day  # noqa: F401 - CHINA: calendar days are Beijing days
from contracts.house import let_against_its_use
from contracts.inspections import earliest_due, inspection_cycles
from contracts.person_deadlines import PERMIT_WARNING_DAYS, past, permit_expiring
from contracts.rooms import doorplate_of_room, is_room_code, room_by_code
from services.audit.domain import assessment

INACTIVE = frozenset({"retired", "merged", "cancelled", "closed"})
ENTITY_OF = {"Place": "address", "Doorplate": "address", "Person": "person", "KeyPerson": "person",
             "House": "house", "Unit": "unit"}
ADDRESS_TYPES = frozenset({"Place", "Doorplate"})
COMMUNITY_TYPES = frozenset({"31", "32", "33", "34"})  #: 社区, 居委会, 村委会, 村民小组
#: figures that are not a sum over sub-divisions (a duplicate pair may straddle two of them)
DUPLICATE_METRICS = ("persons_duplicates_open", "doorplates_duplicates_open")
#: per-value breakdowns, kept flat as ``<metric>:<value>`` while counting
BREAKDOWNS = ("persons_by_category", "houses_by_use", "units_by_type", "units_by_trade")
PLATES_WITHOUT_HOUSE = "uncollected_plates_without_house"  #: 门牌无房
HOUSES_WITHOUT_RESIDENTS = "uncollected_houses_without_residents"  #: 房内无人
#: 应采未采, the sweeps' gaps (services/*/views/sweeps.py): the first two a record shows on its own, the last two
#: join two registries and count per address (``joins``, ``owed``)
JOINED = (PLATES_WITHOUT_HOUSE, HOUSES_WITHOUT_RESIDENTS)
UNCOLLECTED = ("uncollected_rentals_without_tenants", "uncollected_units_without_employees", *JOINED)
COLLECTOR = "collector"  #: ``collector:<id>:<stream type>`` while counting

#: 检查周期: days between inspections per trade (contracts.inspections.inspection_cycles). The caller passes
#: the deployment's (services.audit.config); None means the shipped defaults
Cycles = Mapping[str, int]

#: code → the address's facts (a door plate's or place's), None when the registry never published it
AddressLookup = Callable[[str], "dict[str, Any] | None"]


@dataclass
class Record:
    stream_id: str
    stream_type: str
    state: dict[str, Any]
    division_code: str
    collector: str  #: who registered it (采集人): the actor of version 1
    registered_at: datetime | None = None
    event_types: list[str] = field(default_factory=list)
    assessment: dict[str, Any] = field(default_factory=dict)  #: 考核 facts (domain.assessment.carried)

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


def residence_of(state: dict[str, Any]) -> str | None:
    """A person's current residence address (the read model's name for it, else the contract fold's)."""
    return state.get("current_address_code", state.get("address_code"))


def _inspection_due(state: dict[str, Any], cycles: Cycles | None) -> str | None:
    """超期未检查 is the unit registry's rule (contracts.inspections, with the cycles the caller passes): the
    unit is overdue on a day exactly when this date lies before it."""
    due = earliest_due(state, inspection_cycles() if cycles is None else cycles)
    return due.isoformat() if due else None


def facts(stream_type: str, state: dict[str, Any], cycles: Cycles | None = None) -> dict[str, Any]:
    """What the figures read of a record, small enough to keep one per day of its life; ``cycles`` decide a
    unit's inspection due date (only a unit's facts depend on them)."""
    common = {"status": state.get("status"), "community_code": state.get("community_code")}
    if stream_type == "Doorplate":
        return {**common, "code": state.get("code"), "place_code": state.get("place_code"),
                "door_number": state.get("door_number"), "approval_state": state.get("approval_state"),
                "located": bool(state.get("location")), "buildings": state.get("buildings", [])}
    if stream_type == "Place":
        return {**common, "code": state.get("code"), "element_type": str(state.get("element_type", "")).zfill(2),
                "parent_code": state.get("parent_code"), "name": state.get("name")}
    if stream_type == "Person":
        details = state.get("details") or {}
        return {**common, "category": state.get("category"), "address_code": residence_of(state),
                "phone": bool(state.get("phone")), "logic_errors": bool(state.get("logic_errors")),
                "document_number": state.get("document_number"),
                "registration_valid_until": details.get("registration_valid_until"),
                "residence_permit_expiry": details.get("residence_permit_expiry"),
                "permitted_stay_until": details.get("permitted_stay_until")}
    if stream_type == "House":
        return {**common, "use": state.get("use"), "address_code": state.get("address_code"),
                "rented": any(x.get("status") == "active" for x in state.get("rentals", [])),
                "rentals_without_tenants": sum(1 for x in state.get("rentals", []) if x.get("status") == "active"
                                               and all(t.get("moved_out") for t in x.get("tenants", []))),
                "checked_months": sorted({d.isoformat()[:7] for d in (_day(c.get("checked_on"))
                                                                       for c in state.get("checks", [])) if d})}
    if stream_type == "Unit":
        return {**common, "unit_type": state.get("unit_type"), "address_code": state.get("address_code"),
                "trades": [x.get("trade") for x in state.get("special_trades", [])],
                "without_employees": state.get("status") == "open"
                and all(e.get("left") for e in state.get("employees", [])),
                "inspection_due": _inspection_due(state, cycles),
                "rectification_deadlines": [i.get("rectification_deadline") for i in state.get("inspections", [])
                                            if i.get("rectification_required") and i.get("rectified") is not True]}
    return common


def is_active(record_facts: dict[str, Any]) -> bool:
    return record_facts.get("status") not in INACTIVE


def address_of(stream_type: str, record_facts: dict[str, Any]) -> str | None:
    """The standard address a record hangs on (a door plate or place hangs on itself)."""
    if stream_type in ADDRESS_TYPES:
        return record_facts.get("code")
    return record_facts.get("address_code")


def address_in_use(code: str | None, lookup: AddressLookup) -> bool:
    """人地关联: ``code`` is an in-use standard address the registry published — a door plate or place in use, or
    a generated room (35 digits) inside a building its in-use door plate describes. Nothing else counts: a code
    the registry never published (a made-up 24-digit 户室 code included) is not linked."""
    if not code:
        return False
    if is_room_code(code):
        plate_code = doorplate_of_room(code)
        plate = lookup(plate_code) if plate_code else None
        if plate is None or not is_active(plate):
            return False
        try:
            return room_by_code({"_id": plate_code, **plate}, code) is not None
        except (KeyError, TypeError, ValueError):  # a building summary without its description: no such room known
            return False
    address = lookup(code)
    return address is not None and is_active(address)


def community_of_address(code: str | None, lookup: AddressLookup, depth: int = 0) -> str | None:
    """The community (社区/村委会) place an address hangs under: a community place is its own; a road or compound
    registered under one belongs to it; a door plate (and its rooms) to its road's."""
    if not code or depth > 5:
        return None
    if is_room_code(code):
        return community_of_address(doorplate_of_room(code), lookup, depth + 1)
    address = lookup(code)
    if address is None:
        return None
    if address.get("community_code"):
        return address["community_code"]
    if "place_code" in address:  # a door plate
        return community_of_address(address.get("place_code"), lookup, depth + 1)
    if address.get("element_type") in COMMUNITY_TYPES:
        return code
    return community_of_address(address.get("parent_code"), lookup, depth + 1)


def community_of(stream_type: str, record_facts: dict[str, Any], lookup: AddressLookup) -> str | None:
    """The record's community: its own field, else that of its address."""
    return record_facts.get("community_code") or community_of_address(address_of(stream_type, record_facts), lookup)


def _address_counts(kind: str, f: dict[str, Any], active: bool) -> Counter:
    counts: Counter = Counter()
    if kind == "Place":
        counts["places_total"] += active
        return counts
    counts["doorplates_retired"] += f.get("status") == "retired"
    counts["doorplates_merged"] += f.get("status") == "merged"
    if active:
        counts["doorplates_total"] += 1
        counts["doorplates_pending_approval"] += f.get("approval_state") == "pending"
        counts["doorplates_located"] += bool(f.get("located"))
        counts["rooms_total"] += sum(b.get("room_count", 0) for b in f.get("buildings", []))
    return counts


def _person_counts(f: dict[str, Any], active: bool, linked: bool, day: date) -> Counter:
    counts: Counter = Counter({"persons_merged": f.get("status") == "merged",
                               "persons_cancelled": f.get("status") == "cancelled"})
    if not active:
        return counts
    category = f.get("category")
    counts.update({
        "persons_total": 1, f"persons_by_category:{category or 'unknown'}": 1, "persons_linked": linked,
        "persons_phone_collected": bool(f.get("phone")), "persons_logic_errors": bool(f.get("logic_errors")),
        # the person registry's deadline rules (contracts.person_deadlines), counted
        "migrants_registration_expired": category == "migrant" and past(_day(f.get("registration_valid_until")), day),
        "residence_permits_expiring": category == "migrant"
        and permit_expiring(_day(f.get("residence_permit_expiry")), day),
        "foreigners_overstaying": category == "foreigner" and past(_day(f.get("permitted_stay_until")), day),
    })
    return counts


def _house_counts(f: dict[str, Any], linked: bool, day: date) -> Counter:
    rented = bool(f.get("rented"))
    return Counter({"houses_total": 1, f"houses_by_use:{f.get('use') or 'unknown'}": 1, "houses_rented": rented,
                    "houses_linked": linked, "houses_logic_errors": let_against_its_use(f.get("use"), rented),
                    "rentals_not_checked_this_month": rented and day.isoformat()[:7] not in f.get("checked_months", []),
                    "uncollected_rentals_without_tenants": f.get("rentals_without_tenants", 0)})


def _unit_counts(f: dict[str, Any], linked: bool, day: date) -> Counter:
    trades = f.get("trades") or []
    counts = Counter({"units_total": 1, f"units_by_type:{f.get('unit_type') or 'unknown'}": 1,
                      "units_special_trade": bool(trades), "units_linked": linked,
                      "uncollected_units_without_employees": bool(f.get("without_employees")),
                      "special_trade_inspections_overdue": (_day(f.get("inspection_due")) or date.max) < day,
                      "unit_rectifications_overdue": sum((_day(d) or date.max) < day
                                                         for d in f.get("rectification_deadlines", []))})
    counts.update(f"units_by_trade:{trade}" for trade in trades)
    return counts


def counts(stream_type: str, record_facts: dict[str, Any], linked: bool, day: date) -> Counter:
    """What one record contributes to the additive figures on ``day`` (its Beijing calendar day)."""
    active = is_active(record_facts)
    if stream_type in ADDRESS_TYPES:
        result = _address_counts(stream_type, record_facts, active)
    elif stream_type == "Person":
        result = _person_counts(record_facts, active, linked, day)
    elif stream_type == "House" and active:
        result = _house_counts(record_facts, linked, day)
    elif stream_type == "Unit" and active:
        result = _unit_counts(record_facts, linked, day)
    else:
        result = Counter()
    return Counter({metric: int(n) for metric, n in result.items() if n})  # True counts 1; zeros dropped


def change_days(stream_type: str, record_facts: dict[str, Any]) -> set[date]:
    """The days on which ``counts`` may change with the calendar alone (a permit expiring, a month turning)."""
    days: set[date] = set()
    after = lambda value: {d + timedelta(days=1)} if (d := _day(value)) and d < date.max else set()  # noqa: E731
    if stream_type == "Person":
        days |= after(record_facts.get("registration_valid_until")) | after(record_facts.get("permitted_stay_until"))
        if permit := _day(record_facts.get("residence_permit_expiry")):
            days |= {permit - timedelta(days=PERMIT_WARNING_DAYS)} | after(permit.isoformat())
    elif stream_type == "House":
        for month in record_facts.get("checked_months", []):
            first = date.fromisoformat(month + "-01")
            days |= {first, (first + timedelta(days=32)).replace(day=1)}
    elif stream_type == "Unit":
        for deadline in [record_facts.get("inspection_due"), *record_facts.get("rectification_deadlines", [])]:
            days |= after(deadline)
    return days


def duplicate_key(stream_type: str, record_facts: dict[str, Any]) -> str | None:
    """Records sharing this key are duplicates of one another (重复): persons by document number, door plates by
    (road, number); active ones only."""
    if not is_active(record_facts):
        return None
    if stream_type == "Person" and record_facts.get("document_number"):
        return f"persons_duplicates_open:{record_facts['document_number']}"
    if stream_type == "Doorplate":
        return f"doorplates_duplicates_open:{record_facts.get('place_code')}|{record_facts.get('door_number')}"
    return None


def joins(stream_type: str, record_facts: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The address joins a record takes part in, {group: what it brings}, as the house service's sweeps judge
    them: ``<门牌无房>:<door plate>`` joins a door plate in use with every standing (not demolished) house at the
    plate or at one of its rooms; ``<房内无人>:<address>`` joins the standing houses at an address with the active
    persons whose current residence is exactly that address."""
    kind, code = stream_type, address_of(stream_type, record_facts)
    if not code:
        return {}
    if kind == "Doorplate" and record_facts.get("status") == "in_use":
        return {f"{PLATES_WITHOUT_HOUSE}:{code}": {"role": "plate", "rooms": bool(record_facts.get("buildings"))}}
    if kind == "House" and record_facts.get("status") != "demolished":
        plate = doorplate_of_room(code) if is_room_code(code) else code
        return {f"{PLATES_WITHOUT_HOUSE}:{plate or code}": {"role": "house", "room": bool(plate) and plate != code},
                f"{HOUSES_WITHOUT_RESIDENTS}:{code}": {"role": "house", "rented": bool(record_facts.get("rented"))}}
    if kind == "Person" and is_active(record_facts):
        return {f"{HOUSES_WITHOUT_RESIDENTS}:{code}": {"role": "resident"}}
    return {}


def owed(group: str, members: list[dict[str, Any]]) -> list[int]:
    """What each member of a join counts (the metric is the group's prefix): a door plate 1 when no house stands at
    it (nor at a room, once it has rooms); a house without an active rental 1 when no one lives at its address."""
    if group.startswith(PLATES_WITHOUT_HOUSE + ":"):
        at_plate = any(m["role"] == "house" and not m.get("room") for m in members)
        in_rooms = any(m["role"] == "house" and m.get("room") for m in members)
        return [int(m["role"] == "plate" and not (at_plate or (m.get("rooms") and in_rooms))) for m in members]
    lived_in = any(m["role"] == "resident" for m in members)
    return [int(m["role"] == "house" and not m.get("rented") and not lived_in) for m in members]


def owing(records: Iterable[Record]) -> dict[str, Counter]:
    """The re-fold's side of the joins: {stream id: what it owes} among ``records`` joined with one another."""
    members: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for record in records:
        for group, member in joins(record.stream_type, facts(record.stream_type, record.state)).items():
            members[group].append((record.stream_id, member))
    result: dict[str, Counter] = defaultdict(Counter)
    for group, entries in members.items():
        for (stream_id, _), n in zip(entries, owed(group, [member for _, member in entries])):
            if n:
                result[stream_id][group.split(":", 1)[0]] += n
    return dict(result)


def collector_key(stream_type: str, collector: str, active: bool) -> str | None:
    """Records registered per collector (采集人) and entity type, active ones only."""
    if not active or stream_type not in ENTITY_OF:
        return None
    return f"{COLLECTOR}:{collector}:{stream_type}"


def finish(total: Counter) -> dict[str, Any]:
    """The figures as answered: breakdowns nested, unlinked and rates derived, zeros shown."""
    values: dict[str, Any] = {name: total.get(name, 0) for name in (
        "places_total", "doorplates_total", "doorplates_retired", "doorplates_merged", "doorplates_duplicates_open",
        "doorplates_pending_approval", "doorplates_located", "rooms_total", "persons_total", "persons_linked",
        "persons_phone_collected", "persons_logic_errors", "persons_duplicates_open", "persons_merged",
        "persons_cancelled", "migrants_registration_expired", "residence_permits_expiring", "foreigners_overstaying",
        "houses_total", "houses_rented", "houses_linked", "houses_logic_errors", "rentals_not_checked_this_month",
        "units_total", "units_special_trade", "units_linked", "special_trade_inspections_overdue",
        "unit_rectifications_overdue", *UNCOLLECTED)}
    for breakdown in BREAKDOWNS:
        values[breakdown] = dict(sorted((key.split(":", 1)[1], n) for key, n in total.items()
                                        if key.startswith(breakdown + ":") and n))
    values["persons_unlinked"] = values["persons_total"] - values["persons_linked"]
    values["doorplates_location_rate"] = _rate(values["doorplates_located"], values["doorplates_total"])
    values["persons_link_rate"] = _rate(values["persons_linked"], values["persons_total"])
    values["persons_phone_rate"] = _rate(values["persons_phone_collected"], values["persons_total"])
    values["houses_link_rate"] = _rate(values["houses_linked"], values["houses_total"])
    values["units_link_rate"] = _rate(values["units_linked"], values["units_total"])
    return values


def by_collector(total: Counter) -> dict[str, dict[str, int]]:
    """``collector:<id>:<type>`` counts as {collector: {type: n}}."""
    table: dict[str, dict[str, int]] = defaultdict(dict)
    for key, n in total.items():
        if key.startswith(COLLECTOR + ":") and n:
            collector, stream_type = key[len(COLLECTOR) + 1:].rsplit(":", 1)
            table[collector][stream_type] = n
    return {collector: dict(sorted(kinds.items())) for collector, kinds in sorted(table.items())}


def address_lookup(records: Iterable[Record]) -> AddressLookup:
    """The address facts the records hold (door plates and places by code)."""
    table = {r.state["code"]: facts(r.stream_type, r.state) for r in records
             if r.stream_type in ADDRESS_TYPES and r.state.get("code")}
    return table.get


def tally(records: Iterable[Record], as_of: datetime, lookup: AddressLookup, cycles: Cycles | None = None,
          owes: dict[str, Counter] | None = None) -> Counter:
    """The re-fold: every record's contribution and every duplicate group's, summed, with what each record owes
    in the address joins (``owes``: ``owing`` of the records to join with; default: of these records alone) —
    the reference the incremental figures are tested against."""
    records = list(records)
    day, total, groups = local_day(as_of), Counter(), Counter()
    owes = owing(records) if owes is None else owes
    for record in records:
        total.update(owes.get(record.stream_id, {}))
        f = facts(record.stream_type, record.state, cycles)
        total.update(counts(record.stream_type, f, address_in_use(address_of(record.stream_type, f), lookup), day))
        if key := duplicate_key(record.stream_type, f):
            groups[key] += 1
        if key := collector_key(record.stream_type, record.collector, is_active(f)):
            total[key] += 1
        first = local_day(record.registered_at).isoformat() if record.registered_at else ""
        total.update(assessment.contribution(record.stream_type, record.assessment, record.collector, first))
    for key, n in groups.items():
        total[key.split(":", 1)[0]] += n - 1
    return total


def metrics(records: list[Record], as_of: datetime, address_records: list[Record] | None = None,
            cycles: Cycles | None = None) -> dict[str, Any]:
    """Every metric over ``records``; ``address_records`` (default: the same) decide which addresses are in use."""
    lookup = address_lookup(address_records if address_records is not None else records)
    return finish(tally(records, as_of, lookup, cycles))


def collectors(records: list[Record]) -> dict[str, dict[str, int]]:
    """Records registered per collector (采集人) and entity type, active ones only."""
    return by_collector(Counter(key for r in records if (key := collector_key(r.stream_type, r.collector, r.active))))


def sub_division_of(division_code: str, community: str | None, scope: str) -> str:
    """The next level down to rank by (下一级): provinces of the country, prefectures of a province, counties of a
    prefecture, townships of a county, communities of a township (else the division the record carries). A
    record held at the scope itself (a county's record placed in no township) is keyed by the scope's own code:
    shown as not placed, never ranked as a sub-division."""
    if not division_code:
        return "unknown"
    if len(scope) >= 9:
        return community or division_code
    width = {0: 2, 2: 4, 4: 6, 6: 9}.get(len(scope), 9)
    return division_code[:width] if len(division_code) >= width else scope


def sub_division(record: Record, division_code: str, lookup: AddressLookup | None = None) -> str:
    """``sub_division_of`` for a folded record (the re-fold's side)."""
    f = facts(record.stream_type, record.state)
    community = community_of(record.stream_type, f, lookup) if lookup is not None else f.get("community_code")
    return sub_division_of(record.division_code, community, division_code)
