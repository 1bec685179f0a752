"""The incremental supervisor figures equal a full re-fold of the same events, for every day and every level,
whatever order the streams' events arrive in, with redeliveries; on fakes (the real stack: tests/integration/
test_audit_quality.py)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta

import pytest

from services.audit.domain.daybook import WHOLE, keys_of
from services.audit.domain.metrics import CHINA, address_lookup, by_collector, finish, owing, sub_division, tally
from services.audit.views.quality import counted, total_of
from tests.audit_town import COUNTY, DAYS, START, TOWNSHIPS, build, place_code
from tests.unit.figures_fakes import FakeFigures, interleave, refold

COMMUNITY = place_code(TOWNSHIPS[0], "31", 1)
SCOPES = ("", "53", "5325", COUNTY, *TOWNSHIPS, COMMUNITY[:12])


def end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), CHINA)


def reference(events, day: date, scope: str) -> tuple[Counter, dict[str, Counter]]:
    """The re-fold: the scope's records as of the day's end, addresses looked up everywhere."""
    everything = refold(events, day)
    lookup = address_lookup(everything)
    inside = [r for r in everything if r.division_code.startswith(scope)]
    groups = defaultdict(list)
    for record in inside:
        groups[sub_division(record, scope, lookup)].append(record)
    owes = owing(everything)  # 门牌无房/房内无人: joined with every division's records
    children = {code: +tally(rs, end_of(day), lookup, owes=owes) for code, rs in groups.items()}
    return +tally(inside, end_of(day), lookup, owes=owes), {code: c for code, c in children.items() if c}


async def incremental(figures: FakeFigures, day: date, scope: str) -> tuple[Counter, dict[str, Counter]]:
    children = await counted(figures.counters, figures.pending, scope, end_of(day))
    return +total_of(children), {code: c for code, c in children.items() if code != WHOLE}


@pytest.mark.parametrize("seed", [1, 2])
async def test_every_figure_equals_the_refold_on_every_day_and_level(seed):
    town = build(persons=80, seed=seed)
    figures = FakeFigures()
    arrivals = interleave(town.events, seed)
    for envelope in arrivals[: len(arrivals) // 2] + arrivals[: len(arrivals) // 3] + arrivals:  # redelivered
        await figures.feed(envelope)
    checked = 0
    for offset in range(-1, DAYS + 40, 3):  # before the first event, through October, into the expiries after it
        day = START.date() + timedelta(days=offset)
        for scope in SCOPES:
            expected_total, expected_children = reference(town.events, day, scope)
            total, children = await incremental(figures, day, scope)
            assert finish(total) == finish(expected_total), (day, scope)
            assert by_collector(total) == by_collector(expected_total), (day, scope)
            assert {c: finish(v) for c, v in children.items()} == \
                {c: finish(v) for c, v in expected_children.items()}, (day, scope)
            checked += bool(expected_total)
    assert checked > 50
    october = finish((await incremental(figures, date(2026, 10, 21), COUNTY))[0])
    assert october["persons_linked"] < october["persons_total"] and october["persons_duplicates_open"] > 0
    assert october["migrants_registration_expired"] > 0 and october["unit_rectifications_overdue"] > 0


@pytest.mark.parametrize("seed", [4, 5])
async def test_applied_in_batches_the_figures_equal_those_applied_one_by_one(seed):
    """A poll's events share one memory and their writes are sent at the batch's end (as the runner applies
    them): every counter ends as when each event is applied alone, whatever the batch sizes."""
    import random

    town = build(persons=60, seed=seed)
    arrivals = interleave(town.events, seed)
    alone, batched = FakeFigures(), FakeFigures()
    for envelope in arrivals:
        await alone.feed(envelope)
    rng, start = random.Random(seed), 0
    while start < len(arrivals):
        size = rng.choice([1, 7, 50, 400])
        await batched.feed_batch(arrivals[start:start + size])
        start += size
    for offset in range(-1, DAYS + 40, 9):
        day = START.date() + timedelta(days=offset)
        for scope in SCOPES:
            assert await incremental(batched, day, scope) == await incremental(alone, day, scope), (day, scope)
    assert batched.records.documents.keys() == alone.records.documents.keys()
    for stream_id, document in alone.records.documents.items():
        assert batched.records.documents[stream_id]["steps"] == document["steps"], stream_id


async def test_a_redelivered_event_counts_once_even_past_the_checkpoint():
    town = build(persons=10, seed=3)
    figures = FakeFigures()
    for envelope in town.events:
        await figures.feed(envelope)
    before = {k: dict(v) for k, v in figures.pending.documents.items()}
    assert before
    figures.checkpoints.clear()  # a checkpoint lost: the handler itself drops what it has applied
    for envelope in town.events:
        await figures.feed(envelope)
    assert {k: dict(v) for k, v in figures.pending.documents.items()} == before


async def test_a_county_record_in_no_township_is_not_placed_and_a_prefecture_sees_counties():
    town = build(persons=30, seed=4)
    figures = FakeFigures()
    for envelope in town.events:
        await figures.feed(envelope)
    day = date(2026, 10, 21)
    _, counties = await incremental(figures, day, "5325")
    assert set(counties) == {COUNTY}
    _, townships = await incremental(figures, day, COUNTY)
    assert set(townships) == {*TOWNSHIPS, COUNTY}  # COUNTY: the persons held at the county itself
    assert townships[COUNTY]["persons_total"] == sum(
        1 for r in refold(town.events, day) if r.stream_type == "Person" and r.division_code == COUNTY and r.active)
    _, communities = await incremental(figures, day, TOWNSHIPS[0])
    assert COMMUNITY in communities and TOWNSHIPS[0] in communities  # the road outside any community: the township


def test_keys_cover_every_level_and_the_next_one_down():
    assert keys_of("532503105", None) == [("", "53"), ("53", "5325"), ("5325", "532503"), ("532503", "532503105"),
                                          ("532503105", "532503105")]
    assert keys_of("532503", None)[-1] == ("532503", "532503")
    assert keys_of("532503105", COMMUNITY)[-1] == ("532503105", COMMUNITY)


async def test_the_handler_applies_an_event_once_without_the_runner():
    town = build(persons=10, seed=5)
    figures = FakeFigures()
    checks = [e for e in town.events if e.event_type == "HouseChecked"]
    for envelope in town.events:
        await figures.feed(envelope)
    for envelope in checks:  # the runner's checkpoint bypassed: the record's own version drops it
        figures.checkpoints.pop(envelope.stream_id)
        await figures.feed(envelope)
    house = figures.records.documents[checks[0].stream_id]
    assert len(house["state"]["checks"]) == sum(e.stream_id == checks[0].stream_id for e in checks)


async def test_compacting_pending_changes_into_counters_changes_no_answer():
    from services.audit.projections.figures import counter_increments
    from tests.unit.figures_fakes import FakeCollection

    town = build(persons=40, seed=6)
    figures = FakeFigures()
    for envelope in town.events:
        await figures.feed(envelope)
    folded, nothing = FakeCollection(), FakeCollection()
    for key, (identity, increments) in counter_increments(list(figures.pending.documents.values())).items():
        await folded.update_one({"_id": key}, {"$inc": increments, "$setOnInsert": identity}, upsert=True)
    for offset in (0, 5, 12, 20, 45):
        day = START.date() + timedelta(days=offset)
        for scope in SCOPES:
            assert await counted(folded, nothing, scope, end_of(day)) == \
                await counted(figures.counters, figures.pending, scope, end_of(day)), (day, scope)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
async def test_plates_without_house_and_houses_without_residents_equal_the_refold_and_the_sweeps(seed):
    """门牌无房 and 房内无人 join two registries: in any order of arrival, redelivered, they equal the re-fold on
    every day and level, and what the house service's sweeps list per township (the story's hand count)."""
    from tests.unit.sweep_story import T1, T2, expected, story

    town = story()
    figures = FakeFigures()
    arrivals = interleave(town.events, seed)
    for envelope in arrivals[: len(arrivals) // 2] + arrivals:
        await figures.feed(envelope)
    for offset in range(-1, 16):
        day = START.date() + timedelta(days=offset)
        for scope in ("", COUNTY, T1, T2):
            expected_total, expected_children = reference(town.events, day, scope)
            total, children = await incremental(figures, day, scope)
            assert finish(total) == finish(expected_total), (day, scope)
            assert {c: finish(v) for c, v in children.items()} == \
                {c: finish(v) for c, v in expected_children.items()}, (day, scope)
        for township in (T1, T2) if offset >= 0 else ():
            values = finish((await incremental(figures, day, township))[0])
            assert (values["uncollected_plates_without_house"], values["uncollected_houses_without_residents"]) \
                == expected(township, offset), (day, township)
