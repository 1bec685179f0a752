"""考核 (assessment) of collectors (采集人) and communities for a month. Pure: the rules, counted and ranked.

What a record contributes is kept by the figures projection like every other figure (counters per division and
Beijing day, services/audit/projections/figures.py), under keys ``assess:<YYYY-MM>:<metric>:<collector>``:

- ``collected_<entity>``: the record's first event fell in that month; the collector is that event's actor (the
  envelope's ``actor.id``: who collected it), whatever the record's status later (a cancelled person was still
  collected);
- ``corrections``: each correction event (更正: a person's, a house's or a unit's details corrected) under its
  own actor and month;
- ``registered_on_time`` / ``registered_late``: a person whose registration had a deadline (登记时限: a renting
  migrant within 3 days of moving in, a foreigner outside a hotel within 24 hours of arrival) judged by
  contracts.person_deadlines, once, as the record stood when it was registered.

A community's figures are the sums over its collectors; rates are ranked against the configured targets
(services.audit.domain.targets), never raw totals: 达标程度 = the mean over the rates known of rate ÷ target,
each capped at 100 %.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timezone
from typing import Any, Iterable

from contracts.calendar import local_date
from contracts.person_deadlines import DeadlineFacts, registered_late, registration_deadline_applies
from services.audit.domain.wilson import wilson

PREFIX = "assess"
#: entity types whose records count as collected (一标三实: door plates, persons, houses, units)
COLLECTED = {"Doorplate": "doorplates", "Person": "persons", "House": "houses", "Unit": "units"}
#: events that are corrections (更正) of a record's details
CORRECTIONS = frozenset({"PersonCorrected", "HouseDetailsCorrected", "UnitDetailsCorrected"})
ON_TIME, LATE = "registered_on_time", "registered_late"
#: the rates a collector is ranked by, and a community's (its collection rates against the baselines besides)
COLLECTOR_RATES = ("accuracy", "timeliness")
COMMUNITY_RATES = ("persons_collection_rate", "doorplates_collection_rate", "houses_collection_rate",
                   "units_collection_rate", "accuracy", "timeliness")


def key(month: str, metric: str, collector: str) -> str:
    return f"{PREFIX}:{month}:{metric}:{collector}"


def parse(name: str) -> tuple[str, str, str] | None:
    """(month, metric, collector) of an assessment key, None for any other figure (a collector id may hold ':')."""
    if not name.startswith(PREFIX + ":"):
        return None
    month, metric, collector = name[len(PREFIX) + 1:].split(":", 2)
    return month, metric, collector


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def registration(state: dict[str, Any], registered_at: datetime) -> str | None:
    """登记及时性 of a person as registered (``state`` after its first event): on time, late, or None when its
    registration had no deadline (the person registry's rule, contracts.person_deadlines)."""
    try:
        facts = DeadlineFacts.of(state.get("category") or "", state.get("status") or "active", _aware(registered_at),
                                 state.get("details") or {})
    except (TypeError, ValueError):  # a date the registry never accepted: not judged
        return None
    if not registration_deadline_applies(facts):
        return None
    return LATE if registered_late(facts) else ON_TIME


def carried(previous: dict[str, Any] | None, stream_type: str, event_type: str, version: int, actor: str,
            recorded_at: datetime, state: dict[str, Any]) -> dict[str, Any]:
    """The assessment's facts of a record after one more event (kept beside its figures' facts): the
    timeliness of its registration (fixed by its first event) and every correction so far as [day, actor]."""
    previous = previous or {}
    judged = previous.get("registration")
    if version == 1 and stream_type == "Person":
        judged = registration(state, recorded_at)
    corrections = list(previous.get("corrections") or [])
    if event_type in CORRECTIONS:
        corrections.append([local_date(_aware(recorded_at)).isoformat(), actor])
    return {name: value for name, value in (("registration", judged), ("corrections", corrections)) if value}


def folded(documents: Iterable[dict[str, Any]], first_state: dict[str, Any]) -> dict[str, Any]:
    """``carried`` over a stream's archived events (the re-fold's side); ``first_state``: after its first event."""
    facts: dict[str, Any] = {}
    for document in documents:
        facts = carried(facts, document["stream_type"], document["event_type"], document["version"],
                        document["actor"]["id"], document["recorded_at"], first_state)
    return facts


def contribution(stream_type: str, facts: dict[str, Any], collector: str, first_day: str) -> Counter:
    """What a record adds to the assessment keys, from its first day on (it never changes with the calendar)."""
    found: Counter = Counter()
    if stream_type not in COLLECTED or not first_day:
        return found
    month = first_day[:7]
    found[key(month, f"collected_{COLLECTED[stream_type]}", collector)] += 1
    if facts.get("registration") in (ON_TIME, LATE):
        found[key(month, facts["registration"], collector)] += 1
    for day, actor in facts.get("corrections") or []:
        found[key(day[:7], "corrections", actor)] += 1
    return found


def of_month(counter: Counter | dict[str, int], month: str) -> dict[str, Counter]:
    """{collector: {metric: n}} of one month out of a division's counters."""
    table: dict[str, Counter] = defaultdict(Counter)
    for name, n in counter.items():
        parsed = parse(name)
        if parsed and parsed[0] == month and n:
            table[parsed[2]][parsed[1]] += n
    return dict(table)


def figures(metrics: Counter) -> dict[str, Any]:
    """A row's counted figures and its timeliness (及时率, with the 95% Wilson interval like accuracy)."""
    by_type = {entity: metrics.get(f"collected_{entity}", 0) for entity in COLLECTED.values()}
    due = metrics.get(ON_TIME, 0) + metrics.get(LATE, 0)
    return {"records_collected": sum(by_type.values()), "collected_by_type": by_type,
            "corrections": metrics.get("corrections", 0), "registrations_with_deadline": due,
            "registered_late": metrics.get(LATE, 0), "timeliness": wilson(metrics.get(ON_TIME, 0), due).as_dict()}


def accuracy_rate(accuracy: dict[str, Any] | None) -> float | None:
    """准确率 as ranked: the share of inspected records found right (None: none inspected)."""
    records = (accuracy or {}).get("records") or {}
    return records.get("rate") if records.get("inspected") else None


def rates_of(row: dict[str, Any], names: Iterable[str]) -> dict[str, float | None]:
    """The row's rates by name: accuracy and timeliness from their intervals, the others as they stand."""
    found = {}
    for name in names:
        if name == "accuracy":
            found[name] = accuracy_rate(row.get("accuracy"))
        elif name == "timeliness":
            found[name] = (row.get("timeliness") or {}).get("rate")
        else:
            found[name] = row.get(name)
    return found


def attainment(rates: dict[str, float | None], targets: dict[str, float]) -> float | None:
    """达标程度: the mean over the known rates of rate ÷ target, each capped at 1 (None: no rate known)."""
    shares = [min(rate / targets[name], 1.0) for name, rate in rates.items()
              if isinstance(rate, (int, float)) and targets.get(name)]
    return round(sum(shares) / len(shares), 4) if shares else None


def judged(row: dict[str, Any], names: Iterable[str], targets: dict[str, float]) -> dict[str, Any]:
    """The row with its rates, 达标程度 and the rates under target (未达标)."""
    rates = rates_of(row, names)
    below = [name for name, rate in rates.items() if isinstance(rate, (int, float)) and name in targets
             and rate < targets[name]]
    return {**row, "rates": rates, "attainment": attainment(rates, targets), "below_target": below}


def _places(values: list[float | None]) -> list[int | None]:
    """Competition ranks (1, 2, 2, 4), highest first; None for a row without the value."""
    known = sorted((v for v in values if v is not None), reverse=True)
    return [None if v is None else 1 + sum(1 for other in known if other > v) for v in values]


def ranked(rows: list[dict[str, Any]], names: Iterable[str], identity: str) -> list[dict[str, Any]]:
    """Rows ordered by 达标程度 (highest first, rows with no rate known last and unranked), each with its
    ``rank`` and its place by each rate (``ranks``); ties share a place. Never by raw totals."""
    names = list(names)
    overall = _places([row.get("attainment") for row in rows])
    per_rate = {name: _places([row["rates"].get(name) for row in rows]) for name in names}
    placed = [{**row, "rank": overall[index], "ranks": {name: per_rate[name][index] for name in names}}
              for index, row in enumerate(rows)]
    return sorted(placed, key=lambda row: (row["rank"] is None, row["rank"] or 0, str(row[identity])))
