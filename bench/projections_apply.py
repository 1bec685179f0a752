"""The read models an initial load feeds, each applied alone through the real runner: events/s and round trips per
event, baseline beside the working tree, alternating (issue 17, 历史数据导入).

    .venv/bin/python -m bench.projections_apply [--persons 1000] [--rounds 3] [--baseline REV] [--only a,b]

A load's stream (persons registered with the contracts' own event classes, most of them 常住 with a household,
some 流动 renting; about half with a move-in (入住), some houses let with tenants moving in, a few key persons
listed) is applied by every projection that consumes person events during a load (bench/initial_load.py
READ_MODELS, and audit-figures) through ``ProjectionRunner`` as a live consumer runs it: checkpoints in the
database and remembered, the live batch limits (YBSS_PROJECTION_BATCH_*), on the real SecantusDB, a fresh
database per run. Each projection gets the events of the topics it reads, in the order they were recorded.

A *round* measures every projection once in one process; rounds alternate between the code of ``--baseline`` (a
git revision extracted to a scratch directory, this file copied in) and the working tree, so the machine's load
falls on both alike. Round trips are the database commands the driver sent (a command listener: reads, bulk
writes, commits), per event applied. Writes bench/results/projections_apply.json: per projection each round's
events/s and round trips per event, the medians and the ratio working tree ÷ baseline, and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("YBSS_NAMESPACE", f"bench{uuid.uuid4().hex[:8]}")
os.environ.setdefault("YBSS_LOG_LEVEL", "WARNING")
os.environ.setdefault("YBSS_ENVIRONMENT", "local")

from pymongo import AsyncMongoClient, monitoring  # noqa: E402

from contracts.envelope import EventEnvelope  # noqa: E402
from services.kernel.base.logging import configure_logging  # noqa: E402
from services.kernel.base.settings import get_settings  # noqa: E402
from services.kernel.messaging.projection import physical_name  # noqa: E402
from services.kernel.messaging.projection_runner import ProjectionRunner  # noqa: E402
from tests.load_stream import load_stream, records  # noqa: E402

RESULTS = ROOT / "bench" / "results"
#: projection name → (module, attribute): every read model fed by person events in a load
PROJECTIONS = {
    "person-registry": ("services.person.projections", "registry"),
    "person-whereabouts": ("services.person.whereabouts", "whereabouts"),
    "person-watch": ("services.person.watch.projection", "watch"),
    "house-occupants": ("services.house.occupants", "occupants"),
    "unit-persons": ("services.unit.persons", "persons"),
    "audit-archive": ("services.audit.archive", "archive"),
    "audit-figures": ("services.audit.projections.figures", "figures"),
}
#: the commit before the projections applied per batch (issue 17): `make bench`'s baseline
BASELINE = "90c1578"


# ------------------------------------------------------------------------------------------------ one round
class Commands(monitoring.CommandListener):
    """Counts the commands the driver sends: the database round trips."""

    def __init__(self) -> None:
        self.count = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name not in ("endSessions", "hello", "isMaster", "ismaster", "ping"):
            self.count += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def apply_alone(name: str, events: list[EventEnvelope], label: str) -> dict:
    """``events`` (those of the topics it reads) applied by projection ``name`` as a live consumer applies them."""
    settings = get_settings()
    module, attribute = PROJECTIONS[name]
    projection = getattr(importlib.import_module(module), attribute)
    commands = Commands()
    client = AsyncMongoClient(settings.mongodb_uri, tz_aware=True, event_listeners=[commands])
    db = client[f"{settings.namespace}_pa_{label}"[:60]]
    await client.drop_database(db.name)
    for logical in projection.collections:
        await db.create_collection(physical_name(logical, 1))
    runner = ProjectionRunner.for_settings(projection, client, db, None, settings, generation=1)
    await runner.ensure_indexes()
    polled = records(events, projection.sources)
    commands.count = 0
    started, cpu = time.perf_counter(), time.process_time()
    done = 0
    while done < len(polled):
        done += await runner.apply_batch(polled[done:])
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    trips = commands.count
    applied = await db[projection.checkpoint_collection(1)].count_documents({})
    await client.drop_database(db.name)
    await client.close()
    return {"events": len(polled), "streams": applied, "seconds": round(seconds, 2),
            "events_per_s": round(len(polled) / seconds), "round_trips_per_event": round(trips / len(polled), 2),
            "client_cpu_ms_per_event": round(cpu * 1000 / len(polled), 3)}


async def one_round(persons: int, names: list[str], label: str) -> dict:
    configure_logging("WARNING")
    events = load_stream(persons, uuid.uuid4().hex[:6])
    return {name: await apply_alone(name, events, f"{label}_{name.replace('-', '')}") for name in names}


# ------------------------------------------------------------------------------------------------ alternating
def baseline_tree(revision: str) -> Path:
    """``revision``'s tree with this bench and its stream copied in (they only use the runner's API and the
    contracts' event classes). Imported here: a baseline's own bench/common.py may predate the helper."""
    from bench.common import baseline_tree as tree

    return tree(revision, "bench/projections_apply.py", "tests/load_stream.py")


def run_round(tree: Path, persons: int, names: list[str], label: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "bench.projections_apply", "--round", "--persons", str(persons),
                           "--only", ",".join(names), "--label", label], cwd=tree, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(tree)})
    if done.returncode:
        raise RuntimeError(f"round {label} in {tree} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def summary(runs: dict[str, list[dict]], names: list[str]) -> dict:
    table = {}
    for name in names:
        row = {}
        for tree, rounds in runs.items():
            rates = [r[name]["events_per_s"] for r in rounds]
            row[tree] = {"events_per_s": rates, "median_events_per_s": statistics.median(rates),
                         "round_trips_per_event": statistics.median(r[name]["round_trips_per_event"] for r in rounds),
                         "client_cpu_ms_per_event": statistics.median(r[name].get("client_cpu_ms_per_event", 0)
                                                                      for r in rounds),
                         "events": rounds[0][name]["events"]}
        if "baseline" in row:
            row["ratio"] = round(row["working_tree"]["median_events_per_s"] / row["baseline"]["median_events_per_s"], 2)
        table[name] = row
    return table


def main(persons: int, rounds: int, baseline: str | None, names: list[str]) -> dict:
    trees = {"working_tree": ROOT}
    if baseline:
        trees = {"baseline": baseline_tree(baseline), **trees}
    runs: dict[str, list[dict]] = {tree: [] for tree in trees}
    loads = [os.getloadavg()[0]]
    try:
        for number in range(rounds):
            for tree, where in trees.items():
                runs[tree].append(run_round(where, persons, names, f"{tree[:4]}{number}"))
                loads.append(os.getloadavg()[0])
    finally:
        if baseline:
            shutil.rmtree(trees["baseline"], ignore_errors=True)
    from bench.common import machine
    return {"what": "read models of an initial load, each applied alone through the live runner: events/s and "
                    "database commands per event, baseline and working tree alternating",
            "persons": persons, "rounds": rounds, "baseline": baseline, "projections": summary(runs, names),
            "load_average_1m": {"min": min(loads), "median": statistics.median(loads), "max": max(loads)},
            "machine": machine()}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", default=BASELINE, help="git revision to compare with ('' for none)")
    parser.add_argument("--only", default=",".join(PROJECTIONS), help="comma-separated projection names")
    parser.add_argument("--round", action="store_true", help="one round in this process (JSON on stdout)")
    parser.add_argument("--label", default="wt")
    arguments = parser.parse_args()
    chosen = [name for name in arguments.only.split(",") if name]
    if arguments.round:
        print(json.dumps(asyncio.run(one_round(arguments.persons, chosen, arguments.label))))
    else:
        result = main(arguments.persons, arguments.rounds, arguments.baseline or None, chosen)
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "projections_apply.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=2, ensure_ascii=False))
