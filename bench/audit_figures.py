"""Quality figures at size: GET /v1/audit/quality's work from the incremental counters, beside the re-fold of the
archive it replaced (same events, same answer), for the prefecture, the county and every township.

    .venv/bin/python -m bench.audit_figures [--persons 20000] [--townships 14] [--repeats 200]

A seeded town (tests/audit_town.py: every kind of record, planted problems, a year of history) is built in
memory through the projection's own handler (tests/unit/figures_fakes.py), and its counters, address records and
archived events are written straight into a fresh database with the projections' indexes — the read path is what
is measured, not the load. Writes bench/results/audit_figures.json: p50/p99 per scope for the counters, the
re-fold's time for the county (and one township), their ratio, and a check that both answers are equal.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import datetime, timezone

from bench.common import RESULTS, machine, percentile
from services.audit.archive import EVENTS, archive as archive_projection, archived
from services.audit.projections.figures import COUNTERS, PENDING, RECORDS, compact, figures as figures_projection
from services.audit.views.quality import Figures, quality_figures, refolded
from services.kernel.messaging.runtime import mongo_client
from services.kernel.base.settings import get_settings
from tests.audit_town import build
from tests.unit.figures_fakes import FakeFigures

PREFECTURE, COUNTY = "5325", "532503"


async def indexes(db, projection, logical: str, collection) -> None:
    for name, keys, options in projection.indexes:
        if name == logical:
            await collection.create_index(keys, **options)


async def replay_rate(settings, projection, events, label: str) -> dict:
    """Events/s of a projection applied through the real runner (one partition, the rebuild's batch limits):
    bench/archive_size.py's replay, given this projection."""
    from types import SimpleNamespace

    from bench.archive_size import replay

    return await replay(settings, SimpleNamespace(archive=projection), events, label)


async def timed(call, repeats: int) -> list[float]:
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        await call()
        seconds.append(time.perf_counter() - started)
    return seconds


def summary(seconds: list[float]) -> dict:
    return {"n": len(seconds), "p50_s": round(percentile(seconds, 0.5), 4), "p99_s": round(percentile(seconds, 0.99), 4),
            "max_s": round(max(seconds), 4)}


async def main(persons: int, townships: int, repeats: int, refold_repeats: int, apply_events: int) -> dict:
    started = time.perf_counter()
    town = build(persons=persons, seed=17, townships=townships, spread=17)  # ~a year of history
    fake = FakeFigures()
    for envelope in town.events:
        await fake.feed(envelope)
    built = time.perf_counter() - started
    settings = get_settings()
    client = mongo_client(settings)
    db = client[f"{settings.namespace}_benchfigures"]
    await client.drop_database(db.name)
    counters, records, events, pending = db[COUNTERS], db[RECORDS], db[EVENTS], db[PENDING]
    await pending.insert_many(list(fake.pending.documents.values()), ordered=False)
    await records.insert_many([{k: v for k, v in d.items() if k in ("_id", "code", "timeline", "kind")}
                               for d in fake.records.documents.values() if d.get("code")], ordered=False)
    divisions: dict[str, str | None] = {}
    documents = []
    for envelope in town.events:
        division = envelope.division_code or envelope.payload.get("division_code") or divisions.get(envelope.stream_id)
        divisions[envelope.stream_id] = division
        documents.append(archived(envelope, division))
    for start in range(0, len(documents), 5000):
        await events.insert_many(documents[start:start + 5000], ordered=False)
    for logical, collection in ((COUNTERS, counters), (RECORDS, records), (PENDING, pending)):
        await indexes(db, figures_projection, logical, collection)
    await indexes(db, archive_projection, EVENTS, events)
    loaded = time.perf_counter() - started - built
    compacting = time.perf_counter()
    pending_documents = len(fake.pending.documents)
    while await compact(counters, pending):
        pass
    compacted = time.perf_counter() - compacting

    store = Figures(counters, records, pending)
    now = datetime(2027, 10, 1, tzinfo=timezone.utc)  # after the year of history: every counter counts
    scopes = [PREFECTURE, COUNTY, *town.townships]
    figures = {}
    for scope in scopes:
        await quality_figures(store, events, scope, now)  # warm
        figures[scope] = summary(await timed(lambda s=scope: quality_figures(store, events, s, now), repeats))
    every = [s for scope in scopes for s in [figures[scope]["p99_s"]]]
    refold = {}
    for scope in (COUNTY, town.townships[0]):
        refold[scope] = summary(await timed(lambda s=scope: refolded(events, s, now), refold_repeats))
    equal = {scope: json.loads(json.dumps(await quality_figures(store, events, scope, now), default=str)) ==
             json.loads(json.dumps(await refolded(events, scope, now), default=str))
             for scope in (COUNTY, town.townships[0])}
    await client.drop_database(db.name)
    applied = {}
    if apply_events:
        sample = sorted(town.events, key=lambda e: e.recorded_at)[:apply_events]
        applied = {"figures": await replay_rate(settings, figures_projection, sample, "figures"),
                   "archive_same_events": await replay_rate(settings, archive_projection, sample, "archive")}
        applied["figures_vs_archive"] = round(applied["figures"]["events_per_s"]
                                              / applied["archive_same_events"]["events_per_s"], 2)
    return {
        "what": "GET /v1/audit/quality's work (views.quality) from counters vs the re-fold of the archive",
        "persons": persons, "townships": townships, "events": len(town.events), "streams": len(town.versions),
        "pending_documents": pending_documents, "built_in_memory_s": round(built, 1), "written_s": round(loaded, 1),
        "compacted_s": round(compacted, 1), "compacted_per_s": round(pending_documents / compacted),
        "quality_p99_s": max(every), "quality_by_scope": figures, "refold_by_scope": refold,
        "ratio_refold_p50_over_counters_p50": {
            scope: round(refold[scope]["p50_s"] / figures[scope]["p50_s"], 1) for scope in refold},
        "answers_equal": equal, "apply_through_runner": applied, "machine": machine(),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=20000)
    parser.add_argument("--townships", type=int, default=14)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--refold-repeats", type=int, default=3)
    parser.add_argument("--apply-events", type=int, default=10000, help="events replayed through the real runner")
    arguments = parser.parse_args()
    result = asyncio.run(main(arguments.persons, arguments.townships, arguments.repeats, arguments.refold_repeats,
                              arguments.apply_events))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "audit_figures.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=2, ensure_ascii=False))
