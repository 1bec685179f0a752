"""The audit-figures projection's apply rate, per batch vs per event, side by side on the same events (issue 17).

    .venv/bin/python -m bench.figures_apply [--persons 2000] [--events 800] [--rounds 3]

The same first ``--events`` events of a seeded town (tests/audit_town.py) are replayed through the real runner
(one partition, a rebuild's batch limits, a fresh database each time) by two projections that differ only in how
the handler reads: *per batch* — the projection as registered (services/audit/projections/figures.py: the batch's
records read ahead in one query, what the batch read and wrote shared by its events, writes sent at its end) —
and *per event* — the same handler given a memory of its own for every event and reading through the write
buffer, so each read first sends what is queued (how it applied before: 53 events/s on 2026-12-03). Rounds
alternate (before, after, before, ...) so the machine's load falls on both alike. Writes
bench/results/figures_apply.json: each round's events/s, the medians and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
from types import SimpleNamespace

from bench.archive_size import replay
from bench.common import RESULTS, machine
from services.audit.projections.figures import count_event, figures
from services.audit.projections.figures_batch import Batch
from services.kernel.messaging.projection import Projection, ProjectionTx
from services.kernel.base.settings import get_settings
from tests.audit_town import build


def per_event() -> Projection:
    """The figures projection as it applied before: no read-ahead, nothing shared between a batch's events."""
    baseline = Projection(f"{figures.name}-per-event", sources=figures.sources, collections=figures.collections)

    async def alone(tx: ProjectionTx) -> None:
        await count_event(tx, Batch(tx, tx.collection))

    baseline.handlers = type(figures.handlers)(alone)  # every event type, as the projection's
    baseline.indexes = list(figures.indexes)
    return baseline


async def main(persons: int, events: int, rounds: int) -> dict:
    town = build(persons=persons, seed=17, townships=4, spread=17)
    sample = sorted(town.events, key=lambda e: e.recorded_at)[:events]
    settings = get_settings()
    before, after = per_event(), figures
    runs: dict[str, list[dict]] = {"per_event": [], "per_batch": []}
    for number in range(rounds):
        runs["per_event"].append(await replay(settings, SimpleNamespace(archive=before), sample, f"fig_before{number}"))
        runs["per_batch"].append(await replay(settings, SimpleNamespace(archive=after), sample, f"fig_after{number}"))
    medians = {label: statistics.median(run["events_per_s"] for run in results) for label, results in runs.items()}
    return {
        "what": "audit-figures applied through the real runner: per batch (read-ahead, shared memory) vs per event",
        "events": len(sample), "rounds": rounds,
        "per_event_events_per_s": [run["events_per_s"] for run in runs["per_event"]],
        "per_batch_events_per_s": [run["events_per_s"] for run in runs["per_batch"]],
        "median_per_event_events_per_s": medians["per_event"], "median_per_batch_events_per_s": medians["per_batch"],
        "ratio_per_batch_over_per_event": round(medians["per_batch"] / medians["per_event"], 1),
        "machine": machine(),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=2000)
    parser.add_argument("--events", type=int, default=800)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    result = asyncio.run(main(arguments.persons, arguments.events, arguments.rounds))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "figures_apply.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=2, ensure_ascii=False))
