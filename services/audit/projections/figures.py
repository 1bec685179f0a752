"""The supervisor figures, kept as events arrive (质量指标增量投影): per division and per day, never re-folded.

A kernel projection over every context's topic (the archive's sources, without the access log), so it has
the runner's guarantees: a redelivered event is dropped by the per-stream checkpoint (and would add nothing
anyway: the same timeline gives the same steps), a gap is never applied, a failure is dead-lettered, and
``ybss rebuild --context audit --projection audit-figures`` replays it from offset 0 into a fresh generation.

Per event: the stream's record is folded one step (its ``evolve``), its facts on the event's Beijing day go into
its timeline, and its day steps are recomputed (domain.daybook) — with every record whose figures depend on
it when it is an address (a person at a door plate retired, a room on a late building, a road whose community
arrives after its plates). The difference of old and new steps is stored as the event's *pending* document
(an insert: partitions applied in concurrent transactions never conflict over it); the compactor (a background
task of the audit service, services/audit/compactor.py) folds pending documents into the counters — one
document per (scope, child, day) and per (scope, child, month), ``m.<metric>`` each — and readers add what is
still pending, so an answer never waits for it.

Reads and writes go through the batch's memory (figures_batch.py): a poll's events share what was read, the
batch's records are read ahead in one query, and the writes are sent once at the batch's end.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from pymongo import ASCENDING, UpdateOne

from contracts.contexts import names
from services.audit.domain.daybook import (Addresses, Key, decode, difference, encode, group_steps, record_day,
                                           referenced, steps)
from services.audit.domain import assessment
from services.audit.domain.fold import evolve
from services.audit.domain.metrics import (ADDRESS_TYPES, ENTITY_OF, JOINED, address_of, duplicate_key, facts,
                                           joins, local_day)
from services.audit.archive import _EveryEventType  # every event type reaches the handler, as in the archive
from services.audit.config import audit_settings
from services.audit.projections import figures_links as links
from services.audit.projections.figures_batch import Batch, batch_of
from services.kernel.messaging.projection import Projection, ProjectionTx

NAME = "audit-figures"
RECORDS = "records"  #: one per stream: folded state, timeline, steps, the addresses it depends on
GROUPS = "groups"  #: one per duplicate key: its members' timelines and steps
COUNTERS = "counters"  #: (scope, child, day) and (scope, child, month) sums of steps' changes
PENDING = "pending"  #: each event's changes until the compactor folds them into the counters
LINKS = links.LINKS  #: one per (address code, lane) records depend on: the write-skew guard (figures_links)
BY_CODE = [("code", ASCENDING)]  #: (no hints: a rebuild builds these indexes after its load)
BY_REF = [("refs", ASCENDING)]
MAX_CHAIN = 6  #: room → door plate → road → ... → community: how far an address's hierarchy is followed


def metric_field(metric: str) -> str:
    """A metric name as a field name (a collector id may hold a dot or start with $)."""
    return metric.replace(".", "\uff0e").replace("$", "\uff04")


def metric_name(field: str) -> str:
    return field.replace("\uff0e", ".").replace("\uff04", "$")


async def load_addresses(batch: Batch, codes: set[str], known: dict[str, list]) -> Addresses:
    """Address timelines for ``codes`` and the hierarchy above them (into ``known``)."""
    from contracts.rooms import doorplate_of_room, is_room_code

    wanted = {doorplate_of_room(c) if is_room_code(c) else c for c in codes if c} - known.keys() - {None}
    for _ in range(MAX_CHAIN):
        if not wanted:
            break
        found = await batch.timelines(wanted)
        known.update(found)
        wanted = {up for timeline in found.values() if timeline
                  for up in (timeline[-1][1].get("place_code"), timeline[-1][1].get("parent_code")) if up} - known.keys()
    return Addresses({code: timeline for code, timeline in known.items() if timeline})


def add(totals: dict[tuple[str, Key], Counter], changes: dict[tuple[str, Key], Counter]) -> None:
    for where, delta in changes.items():
        totals.setdefault(where, Counter()).update(delta)


async def recompute(batch: Batch, documents: list[dict[str, Any]], known: dict[str, list],
                    totals: dict[tuple[str, Key], Counter], own: dict[str, Any]) -> None:
    """New steps for these records; their changes into ``totals``; their groups brought along when a membership
    changed. ``own``: the fields of the first record (the event's) written with its steps, in one update."""
    direct = {address_of(d["kind"], entry[1]) for d in documents for entry in d["timeline"]}
    addresses = await load_addresses(batch, {c for c in direct if c}, known)
    groups_touched: dict[str, dict[str, list]] = defaultdict(dict)
    for document in documents:
        refs = referenced(document["kind"], document["timeline"], addresses)
        if set(refs) - known.keys():
            addresses = await load_addresses(batch, set(refs), known)
            refs = referenced(document["kind"], document["timeline"], addresses)
        new, memberships = steps(document["kind"], document["timeline"], document["collector"], addresses, refs)
        add(totals, difference(decode(document.get("steps")), new))
        stored = {group: [[day, {**member, "keys": [list(k) for k in member["keys"]]} if member else None]
                          for day, member in timeline] for group, timeline in memberships.items()}
        for group in {*document.get("groups", []), *memberships}:
            if (document.get("memberships") or {}).get(group) != stored.get(group):
                groups_touched[group][document["_id"]] = stored.get(group, [])
        await links.read(batch, [code for code in refs if code not in (document.get("refs") or ())])
        fields = {"steps": encode(new), "refs": refs, "groups": sorted(memberships), "memberships": stored}
        await batch.set_record(document["_id"], {**fields, **(own if document is documents[0] else {})})
    await regroup(batch, groups_touched, totals)


async def regroup(batch: Batch, touched: dict[str, dict[str, list]],
                  totals: dict[tuple[str, Key], Counter]) -> None:
    """Groups (duplicates, address joins) whose members changed: new steps, their changes into ``totals``."""
    for group, changed in touched.items():
        document = await batch.group(group) or {"members": {}}
        members = {**document["members"], **changed}
        members = {stream: timeline for stream, timeline in members.items() if timeline}
        as_keys = {stream: [(day, _member(member)) for day, member in timeline] for stream, timeline in members.items()}
        new = group_steps(group, as_keys)
        add(totals, difference(decode(document.get("steps")), new))
        await batch.set_group(group, {"members": members, "steps": encode(new)})


def _member(stored: dict[str, Any] | list | None) -> dict[str, Any] | None:
    """A stored membership ({"keys", ...}; a bare key list as kept before issue 18, until the rebuild)."""
    if not stored:
        return None
    member = stored if isinstance(stored, dict) else {"keys": stored}
    return {**member, "keys": [tuple(k) for k in member["keys"]]}


async def write_pending(tx: ProjectionTx, totals: dict[tuple[str, Key], Counter]) -> None:
    """The event's changes as one new document: an insert never conflicts with another partition's transaction,
    where an increment of the province's counter by every partition at once would (the compactor folds them)."""
    deltas = [[scope, child, day, sorted((metric, int(n)) for metric, n in delta.items() if n)]
              for (day, (scope, child)), delta in sorted(totals.items()) if any(delta.values())]
    if deltas:
        await tx.collection(PENDING).insert_one(
            {"_id": str(tx.envelope.event_id), "scopes": sorted({d[0] for d in deltas}), "deltas": deltas},
            session=tx.session)


def counter_increments(pending: list[dict[str, Any]]) -> dict[str, tuple[dict[str, Any], dict[str, int]]]:
    """{counter _id: (its identity, increments)} of pending documents: each change counts on its day and month."""
    merged: dict[str, tuple[dict[str, Any], Counter]] = {}
    for document in pending:
        for scope, child, day, pairs in document["deltas"]:
            for period, identity in ((day, {"day": day}), (day[:7], {"day": None})):
                key = f"{scope}|{child}|{period}"
                if key not in merged:
                    merged[key] = ({"scope": scope, "child": child, "month": day[:7], **identity}, Counter())
                merged[key][1].update(dict(pairs))
    return {key: (identity, {f"m.{metric_field(m)}": n for m, n in delta.items() if n})
            for key, (identity, delta) in merged.items()}


def counter_operations(increments: dict[str, tuple[dict[str, Any], dict[str, int]]]) -> list[UpdateOne]:
    """The counters' upserts of ``counter_increments`` (each counter made on its first change)."""
    return [UpdateOne({"_id": key}, {"$inc": dict(delta), "$setOnInsert": identity}, upsert=True)
            for key, (identity, delta) in increments.items() if delta]


async def compact(counters, pending, limit: int = 2000) -> int:
    """Fold up to ``limit`` pending documents into the counters and remove them, in one transaction (the only
    writer of counters, so it conflicts with no partition); returns how many were folded."""
    batch = [document async for document in pending.find({}, {"deltas": 1}).sort("_id", 1).limit(limit)]
    if not batch:
        return 0
    operations = counter_operations(counter_increments(batch))
    async with pending.database.client.start_session() as session:
        async with await session.start_transaction():
            if operations:
                await counters.bulk_write(operations, ordered=False, session=session)
            await pending.delete_many({"_id": {"$in": [document["_id"] for document in batch]}}, session=session)
    return len(batch)


async def count_event(tx: ProjectionTx, batch: Batch | None = None) -> None:
    """One event into the figures; ``batch``: the memory to read and write through (default: its batch's)."""
    envelope = tx.envelope
    if envelope.stream_type not in ENTITY_OF:
        return  # campaigns, baselines, access reads: not figures of records
    batch = batch or batch_of(tx)
    document = await batch.record(envelope.stream_id) or {
        "_id": envelope.stream_id, "kind": envelope.stream_type, "state": {}, "timeline": [], "division": None,
        "collector": envelope.actor.id, "version": 0}
    if envelope.version <= document.get("version", 0):
        return  # applied already (the runner's checkpoint drops redeliveries; this keeps the handler idempotent too)
    state = evolve(document["state"], envelope.event_type, envelope.payload)
    division = envelope.division_code or envelope.payload.get("division_code") or document["division"]
    record_facts = facts(envelope.stream_type, state, audit_settings().cycles)  # the deployment's 检查周期
    record_facts.update(assessment.carried(document["timeline"][-1][1] if document["timeline"] else None,
                                           envelope.stream_type, envelope.event_type, envelope.version,
                                           envelope.actor.id, envelope.recorded_at, state))  # 考核: kept beside
    document.update(state=state, division=division, timeline=record_day(
        document["timeline"], local_day(envelope.recorded_at).isoformat(), record_facts, division or ""))
    own = {"state": state, "division": division, "timeline": document["timeline"], "kind": document["kind"],
           "collector": document["collector"], "version": envelope.version}
    known: dict[str, list] = {}
    if envelope.stream_type in ADDRESS_TYPES and record_facts.get("code"):
        own["code"] = record_facts["code"]
        known[own["code"]] = document["timeline"]  # itself, as it is now (written below with its steps)
    targets = [document]
    if own.get("code"):  # everything hanging on this address, or under it
        referred = links.maybe_referred(batch, own["code"])  # (before this event's own write below)
        await links.changed(batch, own["code"])
        if referred:
            targets += await batch.referring(own["code"], envelope.stream_id)
    totals: dict[tuple[str, Key], Counter] = {}
    await recompute(batch, targets, known, totals, own)
    await write_pending(tx, totals)


def first_facts(envelope) -> dict[str, Any]:
    """A record's facts after this event alone: all of them for its first event, some for a later one."""
    return facts(envelope.stream_type, evolve({}, envelope.event_type, envelope.payload))


def joined_group(envelope) -> str | None:
    """The duplicate group a record's first event puts it in (read ahead for the batch; later events rarely
    change a membership, and one that does reads its group)."""
    if envelope.version != 1 or envelope.stream_type not in ENTITY_OF:
        return None
    return duplicate_key(envelope.stream_type, first_facts(envelope))


def joined_address(metric: str):
    """The address join of ``metric`` an event alone names (a registration, a move), read ahead for the batch."""
    def group(envelope) -> str | None:
        if envelope.stream_type not in ENTITY_OF:
            return None
        return next((g for g in joins(envelope.stream_type, first_facts(envelope)) if g.startswith(metric + ":")),
                    None)
    return group


def address_links(envelope) -> list[str] | None:
    """An address event's link documents (read ahead): whether any record depends on its code yet."""
    if envelope.stream_type not in ADDRESS_TYPES:
        return None
    code = first_facts(envelope).get("code") or envelope.payload.get("code")
    return links.link_ids(code) if code else None


figures = Projection(NAME, sources=list(names()), collections=[RECORDS, GROUPS, COUNTERS, PENDING, LINKS])
figures.handlers = _EveryEventType(count_event)
#: every record reads its addresses: a rebuild applies them first, so a record finds them instead of an address event
#: recomputing the records on it, and no record's batch conflicts with its address's
figures.replayed_first = ["address"]
#: (a rebuild commits one batch at a time, Projection.take_turns' default: besides, partitions share group
#: documents whatever the order — a room's residents, a plate's houses, duplicates — and would retry each other)
figures.prefetch(RECORDS, lambda event: event.stream_id if event.stream_type in ENTITY_OF else None)
figures.prefetch(GROUPS, joined_group)
for _metric in JOINED:
    figures.prefetch(GROUPS, joined_address(_metric))
figures.prefetch(LINKS, address_links)


async def fold_pending(collections: dict) -> int:
    """A rebuild's settle: every pending change of the new generation folded into its counters before the swap
    (at the default city a rebuild leaves ≈1.3 million), so the first reads of the generation do not sum them.
    Nobody else writes an unswapped generation, so it is one pass, not the compactor's transactions: the pending
    documents are read once, 5,000 at a time by id, and summed in memory (a counter per division, child and day
    or month); the counters are written and the pending collection dropped (the rebuild makes it again with its
    index). The compactor's way, 2,000 at a time each read from the first id, took 2-7 s a batch at that size
    (every read skips again what was removed). A crash in between leaves an unswapped generation, which the next
    rebuild drops."""
    counters, pending = collections[COUNTERS], collections[PENDING]
    merged: dict[str, tuple[dict[str, Any], Counter]] = {}
    total, after = 0, None
    # pages by id, each read bounded: SecantusDB holds a whole scan's result in memory (1.2 million pending: 18 GB,
    # and the OOM killer ended it)
    while chunk := [document async for document in pending.find({"_id": {"$gt": after}} if after else {},
                                                                {"deltas": 1}).sort("_id", 1).limit(5000)]:
        for key, (identity, delta) in counter_increments(chunk).items():
            merged.setdefault(key, (identity, Counter()))[1].update(delta)
        total, after = total + len(chunk), chunk[-1]["_id"]
    operations = counter_operations(merged)
    for start in range(0, len(operations), 1000):
        await counters.bulk_write(operations[start:start + 1000], ordered=False)
    await pending.drop()
    return total


figures.settle = fold_pending
figures.index(RECORDS, BY_CODE, read_while_applying=True)  # a door plate's records, while applying
figures.index(RECORDS, BY_REF, read_while_applying=True)  # the records that name a code, while applying
figures.index(COUNTERS, [("scope", ASCENDING), ("month", ASCENDING), ("day", ASCENDING)])
figures.index(PENDING, [("scopes", ASCENDING)])
