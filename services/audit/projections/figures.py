"""The supervisor figures, kept as events arrive (质量指标增量投影): per division and per day, never re-folded.

A kernel projection over every context's topic (the archive's sources, without the access log), so it has
the runner's guarantees: a redelivered event is dropped by the per-stream checkpoint (and would add nothing
anyway: the same timeline gives the same steps), a gap is never applied, a failure is dead-lettered, and
``ybss rebuild --context audit --projection audit-figures`` replays it from offset 0 into a fresh generation.

Per event: the stream's record is folded one step (its ``evolve``), its facts on the event's Beijing day go into
its timeline, and its day steps are recomputed (domain.daybook) — with every record whose figures depend on
it when it is an address (a person at a door plate retired, a room on a late building, a road whose community
arrives after its plates). The difference of old and new steps is added to the counters: one document per
(scope, child, day) and per (scope, child, month), ``m.<metric>`` each.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from pymongo import ASCENDING

from contracts.contexts import names
from services.audit.domain.daybook import (Addresses, Key, decode, difference, encode, group_steps, record_day,
                                           referenced, steps)
from services.audit.domain.fold import evolve
from services.audit.domain.metrics import ADDRESS_TYPES, ENTITY_OF, address_of, facts, local_day
from services.audit.archive import _EveryEventType  # every event type reaches the handler, as in the archive
from services.kernel.projection import Projection, ProjectionTx

NAME = "audit-figures"
RECORDS = "records"  #: one per stream: folded state, timeline, steps, the addresses it depends on
GROUPS = "groups"  #: one per duplicate key: its members' timelines and steps
COUNTERS = "counters"  #: (scope, child, day) and (scope, child, month) sums of steps' changes
MAX_CHAIN = 6  #: room → door plate → road → ... → community: how far an address's hierarchy is followed


def metric_field(metric: str) -> str:
    """A metric name as a field name (a collector id may hold a dot or start with $)."""
    return metric.replace(".", "\uff0e").replace("$", "\uff04")


def metric_name(field: str) -> str:
    return field.replace("\uff0e", ".").replace("\uff04", "$")


async def load_addresses(tx: ProjectionTx, codes: set[str], known: dict[str, list]) -> Addresses:
    """Address timelines for ``codes`` and the hierarchy above them (into ``known``)."""
    from contracts.rooms import doorplate_of_room, is_room_code

    records = tx.collection(RECORDS)
    wanted = {doorplate_of_room(c) if is_room_code(c) else c for c in codes if c} - known.keys() - {None}
    for _ in range(MAX_CHAIN):
        if not wanted:
            break
        found = {doc["code"]: doc["timeline"] async for doc in records.find(
            {"code": {"$in": sorted(wanted)}}, {"code": 1, "timeline": 1}, session=tx.session)}
        for code in wanted:
            known[code] = found.get(code, [])
        wanted = {up for timeline in found.values() if timeline
                  for up in (timeline[-1][1].get("place_code"), timeline[-1][1].get("parent_code")) if up} - known.keys()
    return Addresses({code: timeline for code, timeline in known.items() if timeline})


def add(totals: dict[tuple[str, Key], Counter], changes: dict[tuple[str, Key], Counter]) -> None:
    for where, delta in changes.items():
        totals.setdefault(where, Counter()).update(delta)


async def recompute(tx: ProjectionTx, documents: list[dict[str, Any]], known: dict[str, list],
                    totals: dict[tuple[str, Key], Counter]) -> None:
    """New steps for these records; their changes into ``totals``; their groups brought along."""
    direct = {address_of(d["kind"], entry[1]) for d in documents for entry in d["timeline"]}
    addresses = await load_addresses(tx, {c for c in direct if c}, known)
    groups_touched: dict[str, dict[str, list]] = defaultdict(dict)
    records = tx.collection(RECORDS)
    for document in documents:
        refs = referenced(document["kind"], document["timeline"], addresses)
        if set(refs) - known.keys():
            addresses = await load_addresses(tx, set(refs), known)
            refs = referenced(document["kind"], document["timeline"], addresses)
        new, memberships = steps(document["kind"], document["timeline"], document["collector"], addresses, refs)
        add(totals, difference(decode(document.get("steps")), new))
        for group in {*document.get("groups", []), *memberships}:
            groups_touched[group][document["_id"]] = [[day, keys] for day, keys in memberships.get(group, [])]
        await records.update_one({"_id": document["_id"]}, {"$set": {
            "steps": encode(new), "refs": refs, "groups": sorted(memberships)}}, session=tx.session)
    await regroup(tx, groups_touched, totals)


async def regroup(tx: ProjectionTx, touched: dict[str, dict[str, list]],
                  totals: dict[tuple[str, Key], Counter]) -> None:
    """Duplicate groups whose members changed: new steps, their changes into ``totals``."""
    groups = tx.collection(GROUPS)
    for group, changed in touched.items():
        document = await groups.find_one({"_id": group}, session=tx.session) or {"members": {}}
        members = {**document["members"], **changed}
        members = {stream: timeline for stream, timeline in members.items() if timeline}
        as_keys = {stream: [(day, [tuple(k) for k in keys] if keys else None) for day, keys in timeline]
                   for stream, timeline in members.items()}
        new = group_steps(group, as_keys)
        add(totals, difference(decode(document.get("steps")), new))
        await groups.update_one({"_id": group}, {"$set": {"members": members, "steps": encode(new)}},
                                upsert=True, session=tx.session)


async def write_counters(tx: ProjectionTx, totals: dict[tuple[str, Key], Counter]) -> None:
    counters = tx.collection(COUNTERS)
    merged: dict[tuple[str, str, str, str | None], Counter] = defaultdict(Counter)
    for (day, (scope, child)), delta in totals.items():
        merged[(scope, child, day[:7], day)].update(delta)
        merged[(scope, child, day[:7], None)].update(delta)
    for (scope, child, month, day), delta in sorted(merged.items(), key=lambda item: str(item[0])):
        increments = {f"m.{metric_field(metric)}": int(n) for metric, n in delta.items() if n}
        if increments:
            await counters.update_one(
                {"_id": f"{scope}|{child}|{day or month}"},
                {"$inc": increments, "$setOnInsert": {"scope": scope, "child": child, "month": month, "day": day}},
                upsert=True, session=tx.session)


async def count_event(tx: ProjectionTx) -> None:
    envelope = tx.envelope
    if envelope.stream_type not in ENTITY_OF:
        return  # campaigns, baselines, access reads: not figures of records
    records = tx.collection(RECORDS)
    document = await records.find_one({"_id": envelope.stream_id}, session=tx.session) or {
        "_id": envelope.stream_id, "kind": envelope.stream_type, "state": {}, "timeline": [], "division": None,
        "collector": envelope.actor.id, "version": 0}
    if envelope.version <= document.get("version", 0):
        return  # applied already (the runner's checkpoint drops redeliveries; this keeps the handler idempotent too)
    state = evolve(document["state"], envelope.event_type, envelope.payload)
    division = envelope.division_code or envelope.payload.get("division_code") or document["division"]
    record_facts = facts(envelope.stream_type, state)
    document.update(state=state, division=division, timeline=record_day(
        document["timeline"], local_day(envelope.recorded_at).isoformat(), record_facts, division or ""))
    own = {"state": state, "division": division, "timeline": document["timeline"], "kind": document["kind"],
           "collector": document["collector"], "version": envelope.version}
    if envelope.stream_type in ADDRESS_TYPES and record_facts.get("code"):
        own["code"] = record_facts["code"]
    await records.update_one({"_id": envelope.stream_id}, {"$set": own}, upsert=True, session=tx.session)
    targets = [document]
    if own.get("code"):  # everything hanging on this address, or under it
        targets += [d async for d in records.find({"refs": own["code"], "_id": {"$ne": envelope.stream_id}},
                                                  {"state": 0}, session=tx.session)]
    totals: dict[tuple[str, Key], Counter] = {}
    await recompute(tx, targets, {}, totals)
    await write_counters(tx, totals)


figures = Projection(NAME, sources=list(names()), collections=[RECORDS, GROUPS, COUNTERS])
figures.handlers = _EveryEventType(count_event)
figures.index(RECORDS, [("code", ASCENDING)], sparse=True)
figures.index(RECORDS, [("refs", ASCENDING)])
figures.index(COUNTERS, [("scope", ASCENDING), ("month", ASCENDING), ("day", ASCENDING)])
