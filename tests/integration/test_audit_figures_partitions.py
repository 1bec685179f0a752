"""On the real SecantusDB: audit-figures batches of two partitions applied side by side. Records of one community
read in two partitions commit together (the write-skew guard is per partition: services/audit/projections/
figures_links.py); a door plate registered in one partition while a person moves in there in another still
conflict, and once the loser is retried the figures equal the re-fold of the same events."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from pymongo.errors import OperationFailure

from contracts.envelope import EventEnvelope
from contracts.rooms import doorplate_of_room, is_room_code
from services.audit.domain.daybook import WHOLE
from services.audit.domain.fold import evolve
from services.audit.domain.metrics import ADDRESS_TYPES, address_of, duplicate_key, facts, finish, joins
from services.audit.projections.figures import COUNTERS, PENDING, RECORDS, count_event, figures
from services.audit.views.quality import counted, total_of
from services.kernel.messaging.batching import BatchLimits
from services.kernel.messaging.failures import is_infrastructure
from services.kernel.messaging.projection import Projection, physical_name
from services.kernel.messaging.projection_runner import ProjectionRunner
from services.kernel.messaging.runtime import mongo_client
from tests.audit_town import COUNTY, DAYS, START, build, context_of, place_code
from tests.unit.test_audit_figures import end_of, reference

COMMUNITY = place_code(f"{COUNTY}105", "31", 1)
LIMITS = BatchLimits(max_events=5000, max_seconds=120.0)  #: each lane's events in one transaction


@dataclass
class Record:
    """A consumer record as aiokafka hands it over (the runner reads these fields)."""

    value: bytes
    offset: int
    topic: str
    partition: int
    key: bytes | None = None
    headers: tuple = ()


def records(events: list[EventEnvelope], partition: int) -> list[Record]:
    return [Record(e.to_bytes(), n, context_of(e), partition, e.stream_id.encode()) for n, e in enumerate(events)]


def waiting_together(barrier: asyncio.Barrier) -> Projection:
    """The figures projection whose batches wait, before their first event, until the other batch's transaction
    has read too: both then decide from the same committed state, as two partitions side by side can."""
    projection = Projection(figures.name, sources=figures.sources, collections=figures.collections)
    started: list = []

    async def handler(tx) -> None:
        if not any(buffer is tx.buffer for buffer in started):
            started.append(tx.buffer)
            await barrier.wait()
        await count_event(tx)

    projection.handlers = type(figures.handlers)(handler)
    projection.prefetches = figures.prefetches
    return projection


class Figures:
    """A fresh generation of the figures on the real server, applied by the real runner."""

    def __init__(self, settings) -> None:
        self.client = mongo_client(settings)
        self.db = self.client[settings.database_name(f"figlanes{uuid.uuid4().hex[:6]}")]

    async def __aenter__(self) -> "Figures":
        for logical in figures.collections:  # concurrent transactions may not create them
            await self.db.create_collection(physical_name(logical, 1))
        await self.runner(figures).ensure_indexes()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.client.drop_database(self.db.name)
        await self.client.close()

    def runner(self, projection: Projection) -> ProjectionRunner:
        return ProjectionRunner(projection, self.client, self.db, None, "figlanes", limits=LIMITS)

    async def side_by_side(self, *lanes: list[Record]) -> list[int | BaseException]:
        """Each lane's batch in its own transaction, at once; what each settled, or the conflict it met."""
        runners = [self.runner(waiting_together(asyncio.Barrier(len(lanes))))] * len(lanes)
        return await asyncio.gather(*(runner.apply_batch(lane) for runner, lane in zip(runners, lanes)),
                                    return_exceptions=True)

    async def equal_the_refold(self, events: list[EventEnvelope]) -> int:
        """Every figure of the county, its townships and the community, day by day, against the re-fold."""
        counters, pending = (self.db[physical_name(name, 1)] for name in (COUNTERS, PENDING))
        compared = 0
        for offset in range(-1, DAYS + 40, 4):
            day = START.date() + timedelta(days=offset)
            for scope in (COUNTY, f"{COUNTY}105", f"{COUNTY}106", COMMUNITY[:12]):
                expected_total, expected_children = reference(events, day, scope)
                children = await counted(counters, pending, scope, end_of(day))
                assert finish(+total_of(children)) == finish(expected_total), (day, scope)
                assert {code: finish(c) for code, c in children.items() if code != WHOLE and +c} == \
                    {code: finish(c) for code, c in expected_children.items()}, (day, scope)
                compared += bool(expected_total)
        return compared


def groups_of(events: list[EventEnvelope]) -> set[str]:
    """Every group (duplicate, address join) a stream's records ever join: streams sharing one write its document."""
    state: dict = {}
    found: set[str] = set()
    for envelope in events:
        state = evolve(state, envelope.event_type, envelope.payload)
        record_facts = facts(envelope.stream_type, state)
        found |= set(joins(envelope.stream_type, record_facts)) | {duplicate_key(envelope.stream_type, record_facts)}
    return found - {None}


def two_lanes(streams: dict[str, list[EventEnvelope]]) -> tuple[list[EventEnvelope], list[EventEnvelope]]:
    """The streams dealt into two partitions so that no group has members in both (records sharing a group
    rightly conflict); each stream's events stay in order in one partition."""
    owner: dict[str, str] = {}  # group → the first stream seen in it, streams joined through shared groups
    parent = {stream: stream for stream in streams}

    def root(stream: str) -> str:
        while parent[stream] != stream:
            stream = parent[stream]
        return stream

    for stream, events in streams.items():
        for group in groups_of(events):
            parent[root(stream)] = root(owner.setdefault(group, stream))
    components: dict[str, list[str]] = defaultdict(list)
    for stream in streams:
        components[root(stream)].append(stream)
    lanes: tuple[list, list] = ([], [])
    for n, members in enumerate(components.values()):
        lanes[n % 2].extend(e for stream in members for e in streams[stream])
    return lanes


def by_stream(events: list[EventEnvelope]) -> dict[str, list[EventEnvelope]]:
    streams: dict[str, list[EventEnvelope]] = defaultdict(list)
    for envelope in events:
        streams[envelope.stream_id].append(envelope)
    return streams


def plate_with_residents_only(events: list[EventEnvelope]) -> tuple[str, list[EventEnvelope], set[str]]:
    """A door plate registered in one event and named by no other address event, at which (or at whose rooms)
    only persons live, the most of them: (its code, its event, their streams)."""
    streams = by_stream(events)
    living: dict[str, set[str]] = defaultdict(set)  # door plate → the records naming it or one of its rooms
    for stream, own in streams.items():
        state: dict = {}
        for envelope in own if own[0].stream_type not in ADDRESS_TYPES else ():
            state = evolve(state, envelope.event_type, envelope.payload)
            if code := address_of(envelope.stream_type, facts(envelope.stream_type, state)):
                living[doorplate_of_room(code) if is_room_code(code) else code].add(stream)
    candidates = []
    for stream, own in streams.items():
        if own[0].stream_type == "Doorplate" and len(own) == 1:
            code = facts("Doorplate", evolve({}, own[0].event_type, own[0].payload))["code"]
            named = any(code in json.dumps(e.payload) for e in events
                        if e.stream_type in ADDRESS_TYPES and e.stream_id != stream)
            if living[code] and not named and all(streams[s][0].stream_type == "Person" for s in living[code]):
                candidates.append((len(living[code]), code, stream))
    _, code, stream = max(candidates)
    return code, streams[stream], living[code]


async def test_records_of_one_community_in_two_partitions_commit_side_by_side_and_equal_the_refold(settings):
    town = build(persons=60, seed=7)
    addresses = [e for e in town.events if e.stream_type in ADDRESS_TYPES]
    first, second = two_lanes(by_stream([e for e in town.events if e.stream_type not in ADDRESS_TYPES]))
    async with Figures(settings) as applied:
        assert await applied.runner(figures).apply_batch(records(addresses, 0)) == len(addresses)
        settled = await applied.side_by_side(records(first, 1), records(second, 2))
        assert settled == [len(first), len(second)], "both partitions' batches commit at the first try"
        refs = {document["_id"]: set(document.get("refs", []))
                async for document in applied.db[physical_name(RECORDS, 1)].find({}, {"refs": 1})}
        read = [set.union(*(refs[e.stream_id] for e in lane)) for lane in (first, second)]
        assert COMMUNITY in read[0] & read[1], "both read the same community"
        assert await applied.equal_the_refold(town.events) > 20


async def test_a_plate_registered_beside_a_person_moving_in_there_conflict_and_the_retry_equals_the_refold(settings):
    town = build(persons=60, seed=7)
    plate, registered, residents = plate_with_residents_only(town.events)
    assert len(residents) >= 2
    moving_in = [e for e in town.events if e.stream_id in residents]
    before = [e for e in town.events if e.stream_id not in residents and e.stream_id != registered[0].stream_id]
    async with Figures(settings) as applied:
        assert await applied.runner(figures).apply_batch(records(before, 0)) == len(before)
        outcomes = await applied.side_by_side(records(registered, 1), records(moving_in, 2))
        conflicts = [o for o in outcomes if isinstance(o, BaseException)]
        assert len(conflicts) == 1 and isinstance(conflicts[0], OperationFailure) and is_infrastructure(conflicts[0]), \
            f"the plate {plate} and the records reading it conflict (a write skew otherwise): {outcomes}"
        lost = records(registered, 1) if conflicts[0] is outcomes[0] else records(moving_in, 2)
        assert await applied.runner(figures).apply_batch(lost) == len(lost), "retried against the committed state"
        assert await applied.equal_the_refold(town.events) > 20
