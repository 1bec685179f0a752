"""Day by day (逐日): what a record, or a group of duplicates, adds to each division's figures on each day. Pure.

A record's *timeline* holds its facts (domain.metrics.facts) at the end of each Beijing day it changed, with
the division it belonged to then. Its contribution on a day is ``metrics.counts`` of those facts, with the
address it names looked up as it stood that same day; so the contribution is a step function of the day,
changing on the days the record or its address changed and on the days the calendar alone changes it (a
permit expiring, a month turning). The projection keeps each record's steps, and whenever anything a record
depends on arrives (in any order: its own event, its address's, a late road), recomputes the steps from the
timelines and adds the *difference* of the two step functions to per-day counters. So the counters converge
to the same numbers whatever order the events came in, a redelivered event (same timeline) adds nothing, and
a division's figures as of a day are the sum of its day counters up to that day.

Counters are kept per (scope, child): every level a record's division lies in (the country "", province 2,
prefecture 4, county 6, township 9, community 12 digits) and the next level down under it
(metrics.sub_division_of), so one query of a scope's counters gives both its total and its breakdown.
Duplicates are not a sum over children, so each duplicate group also counts under (scope, "*"). The 应采未采
that join two registries at an address (a door plate with no house, a house with no resident) are groups too:
each member's membership carries what it brings (metrics.joins), and the group counts what each member owes
(metrics.owed) under that member's own keys, so they stay sums over children.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from datetime import date
from typing import Any, Iterable

from services.audit.domain import assessment
from services.audit.domain.metrics import (DUPLICATE_METRICS, address_in_use, address_of, change_days, collector_key,
                                           community_of, counts, duplicate_key, is_active, joins, owed,
                                           sub_division_of)

WHOLE = "*"  #: the child that stands for the whole scope (duplicates)
LEVELS = (2, 4, 6, 9, 12)

Key = tuple[str, str]  #: (scope, child)
Value = dict[Key, Counter]
Timeline = list[list[Any]]  #: [[day ISO, facts, division], ...] in day order
Steps = list[tuple[str, Value]]  #: [(day ISO, value from that day on), ...]
#: a record in a group on a day: {"keys": the keys it counts under, **what it brings to a join}; None: not in it
Member = dict[str, Any] | None
Memberships = dict[str, list[tuple[str, Member]]]  #: {group: [(day ISO, member from that day on), ...]}


def scopes_of(division: str) -> list[str]:
    """Every level the division lies in, the country first."""
    return [""] + [division[:n] for n in LEVELS if n <= len(division)] if division else [""]


def keys_of(division: str, community: str | None) -> list[Key]:
    return [(scope, sub_division_of(division, community, scope)) for scope in scopes_of(division)]


def record_day(timeline: Timeline, day: str, facts: dict[str, Any], division: str) -> Timeline:
    """The timeline after an event of ``day`` (an event recorded before the last day kept counts on that day)."""
    if timeline and timeline[-1][0] >= day:
        return [*timeline[:-1], [timeline[-1][0], facts, division]]
    return [*timeline, [day, facts, division]]


def at(timeline: Timeline | None, day: str) -> list[Any] | None:
    """The timeline's entry in force at the end of ``day``."""
    if not timeline:
        return None
    index = bisect_right([entry[0] for entry in timeline], day)
    return timeline[index - 1] if index else None


class Addresses:
    """Address timelines by code (door plates and places), as the registry published them so far."""

    def __init__(self, timelines: dict[str, Timeline]) -> None:
        self.timelines = timelines

    def on(self, day: str):
        def lookup(code: str) -> dict[str, Any] | None:
            entry = at(self.timelines.get(code), day)
            return entry[1] if entry else None
        return lookup

    def latest(self, code: str) -> dict[str, Any] | None:
        timeline = self.timelines.get(code)
        return timeline[-1][1] if timeline else None

    def days(self, codes: Iterable[str]) -> set[str]:
        return {entry[0] for code in codes for entry in self.timelines.get(code, [])}


def referenced(kind: str, timeline: Timeline, addresses: Addresses) -> list[str]:
    """Every address code the record's figures depend on: the addresses it named, their door plates (rooms),
    roads and communities — so a late or changed one brings the record back for recomputing."""
    from contracts.rooms import doorplate_of_room, is_room_code

    found: list[str] = []

    def walk(code: str | None, depth: int = 0) -> None:
        if not code or depth > 6 or code in found:
            return
        found.append(code)
        if is_room_code(code):
            walk(doorplate_of_room(code), depth + 1)
            return
        latest = addresses.latest(code) or {}
        walk(latest.get("place_code") or latest.get("parent_code"), depth + 1)

    for _, facts, _ in timeline:
        walk(address_of(kind, facts))
    return found


def steps(kind: str, timeline: Timeline, collector: str, addresses: Addresses,
          refs: list[str]) -> tuple[Steps, Memberships]:
    """(the record's contribution steps, its membership steps in each group: duplicates and address joins)."""
    if not timeline:
        return [], {}
    first = timeline[0][0]
    days = {entry[0] for entry in timeline} | {d for d in addresses.days(refs) if d > first}
    for _, facts, _ in timeline:
        days |= {d.isoformat() for d in change_days(kind, facts) if d.isoformat() > first}
    result: Steps = []
    memberships: Memberships = defaultdict(list)
    current: dict[str, Member] = {}
    for day in sorted(days):
        _, facts, division = at(timeline, day)
        lookup = addresses.on(day)
        total = counts(kind, facts, address_in_use(address_of(kind, facts), lookup), date.fromisoformat(day))
        if key := collector_key(kind, collector, is_active(facts)):
            total[key] += 1
        total.update(assessment.contribution(kind, facts, collector, first))
        keys = keys_of(division or "", community_of(kind, facts, lookup))
        value = {key: total for key in keys} if total else {}
        if not result or result[-1][1] != value:
            result.append((day, value))
        group = duplicate_key(kind, facts)
        groups = {**({group: {}} if group else {}), **joins(kind, facts)}
        for name in set(current) | set(groups):
            member = {"keys": keys, **groups[name]} if name in groups else None
            if current.get(name, "unset") != member:
                memberships[name].append((day, member))
                current[name] = member
    return result, dict(memberships)


def group_steps(group: str, members: Memberships) -> Steps:
    """A group's contribution: n duplicates under a key count n - 1 there (and over the whole scope); an address
    join counts what each member owes (metrics.owed) under that member's keys."""
    metric = group.split(":", 1)[0]
    days = sorted({day for timeline in members.values() for day, _ in timeline})
    result: Steps = []
    for day in days:
        present = [entry[1] for timeline in members.values()
                   if (entry := at([[d, member] for d, member in timeline], day)) and entry[1]]
        if metric in DUPLICATE_METRICS:
            value = _duplicates(metric, present)
        else:
            value = defaultdict(Counter)
            for member, n in zip(present, owed(group, present)):
                for key in member["keys"] if n else []:
                    value[key][metric] += n
            value = dict(value)
        if not result or result[-1][1] != value:
            result.append((day, value))
    return result


def _duplicates(metric: str, present: list[dict[str, Any]]) -> Value:
    counted: Counter = Counter()
    for member in present:
        for scope, child in member["keys"]:
            counted[(scope, child)] += 1
            counted[(scope, WHOLE)] += 1
    return {key: Counter({metric: n - 1}) for key, n in counted.items() if n > 1}


def changes(steps_: Steps) -> dict[tuple[str, Key], Counter]:
    """{(day, key): what changed that day} of a step function."""
    result: dict[tuple[str, Key], Counter] = {}
    previous: Value = {}
    for day, value in steps_:
        for key in value.keys() | previous.keys():
            delta = Counter(value.get(key, {}))
            delta.subtract(previous.get(key, {}))
            delta = Counter({metric: n for metric, n in delta.items() if n})
            if delta:
                result[(day, key)] = delta
        previous = value
    return result


def difference(old: Steps, new: Steps) -> dict[tuple[str, Key], Counter]:
    """What replacing ``old`` steps by ``new`` adds to the day counters."""
    result = {where: Counter(delta) for where, delta in changes(new).items()}
    for where, delta in changes(old).items():
        row = result.setdefault(where, Counter())
        row.subtract(delta)
    return {where: Counter({m: n for m, n in row.items() if n}) for where, row in result.items()
            if any(row.values())}


def encode(steps_: Steps) -> list[list[Any]]:
    """Steps as stored: [[day, [[[scope, child], ...], [[metric, n], ...]], ...]] (a value shared by keys once)."""
    stored = []
    for day, value in steps_:
        shared: dict[tuple, list[list[str]]] = {}
        for key, counter in value.items():
            shared.setdefault(tuple(sorted(counter.items())), []).append(list(key))
        stored.append([day, [[keys, [list(pair) for pair in pairs]] for pairs, keys in shared.items()]])
    return stored


def decode(stored: list[list[Any]] | None) -> Steps:
    return [(day, {(scope, child): Counter(dict(pairs)) for keys, pairs in groups for scope, child in keys})
            for day, groups in stored or []]
