"""audit-figures rebuilt with its partitions side by side vs one partition at a time (issue 17): events/s, the
ratio, the batches retried after a write conflict, and whether every way left the same figures.

    .venv/bin/python -m bench.figures_partitions [--persons 1000] [--baseline HEAD] [--rounds 1]

A generated city (``ybss city generate``, bench/city_reads.city) is seeded once into a fresh namespace's topics
by bench/city_reads.seed (the registries' own commands in process, each event published as the outbox relay
publishes it). Then the real rebuild (services/kernel/operations/rebuild.py, what ``ybss rebuild`` runs; no swap)
of audit-figures replays it in two ways: *side by side*, the rebuild's own ``_drain`` (one task per partition,
each batch its own transaction), and *one partition at a time* (``_drain`` replaced, as bench/city_reads did
while the partitions conflicted). Each way runs with the code of ``--baseline`` (a git revision extracted to a
scratch directory) and of the working tree, each rebuild in its own process, alternating, so the machine's load
falls on all alike. After each rebuild the figures it left (every pending change folded as the compactor folds
them) are hashed: all must be equal. Writes bench/results/figures_partitions.json; drops its namespace's topics
and databases at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("YBSS_NAMESPACE", f"figpart{uuid.uuid4().hex[:6]}")
os.environ.setdefault("YBSS_LOG_LEVEL", "WARNING")
os.environ.setdefault("YBSS_ENVIRONMENT", "local")

from services.kernel.base.settings import get_settings  # noqa: E402

WAYS = ("side_by_side", "one_at_a_time")


# ------------------------------------------------------------------------------------------------ one rebuild
async def rebuild_once(way: str) -> dict:
    """One rebuild of audit-figures in this process's tree, ``way`` as said; its rate, conflicts and figures."""
    from services.audit.projections.figures import PENDING, counter_increments, figures
    from services.kernel.messaging import projection_runner
    from services.kernel.messaging.failures import is_infrastructure
    from services.kernel.messaging.projection import physical_name
    from services.kernel.messaging.runtime import mongo_client
    from services.kernel.operations import rebuild as replay

    conflicts = 0
    apply_batch = projection_runner.ProjectionRunner.apply_batch

    async def counted(self, records, max_events=None):
        nonlocal conflicts
        try:
            return await apply_batch(self, records, max_events)
        except Exception as error:
            conflicts += is_infrastructure(error)  # a write conflict: the rebuild retries the batch
            raise

    async def one_partition_at_a_time(consumer, runner, partitions, end, progress) -> int:
        return sum([await replay._drain_partition(consumer, runner, tp, end[tp], progress) for tp in partitions])

    projection_runner.ProjectionRunner.apply_batch = counted
    if way == "one_at_a_time":
        replay._drain = one_partition_at_a_time
    settings = get_settings()
    report = await replay.rebuild(settings, "audit", figures, swap=False)
    client = mongo_client(settings)
    try:
        pending = client[settings.database_name("audit")][physical_name(PENDING, report.generation)]
        folded = counter_increments([document async for document in pending.find({}, {"deltas": 1})])
    finally:
        await client.close()
    folded = {key: increments for key, (_, increments) in folded.items() if increments}  # (a change undone: none)
    canonical = json.dumps(sorted(folded.items()), sort_keys=True, ensure_ascii=False)
    return {"way": way, "events": report.events, "seconds": report.seconds, "events_per_s": report.events_per_second,
            "conflicts": conflicts, "counters": len(folded),
            "figures_sha256": hashlib.sha256(canonical.encode()).hexdigest()}


# ------------------------------------------------------------------------------------------------ the run
def baseline_tree(revision: str) -> Path:
    """``revision``'s tree with this bench copied in (it only uses the rebuild's API). Imported here: a
    baseline's own bench/common.py may predate the helper."""
    from bench.common import baseline_tree as tree

    return tree(revision, "bench/figures_partitions.py")


def run_rebuild(tree: Path, way: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "bench.figures_partitions", "--rebuild", way], cwd=tree,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(tree)})
    if done.returncode:
        raise RuntimeError(f"rebuild {way} in {tree} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


async def seeded(persons: int, directory: Path) -> dict:
    from bench.city_reads import city, seed

    manifest = city(directory, persons)
    subprocess.run([str(Path(sys.executable).parent / "ybss"), "topics"], cwd=ROOT, check=True, capture_output=True)
    answer = await seed(get_settings(), directory)
    return {"records": manifest["total"], "events": answer["events"], "rejected": answer["rejected"]}


async def drop_namespace() -> None:
    """Every topic and database of this run's namespace."""
    from aiokafka.admin import AIOKafkaAdminClient

    from services.kernel.messaging.runtime import mongo_client

    settings = get_settings()
    admin = AIOKafkaAdminClient(**settings.kafka_client_options())
    await admin.start()
    try:
        topics = [name for name in await admin.list_topics() if name.startswith(settings.namespace + ".")]
        if topics:
            await admin.delete_topics(topics)
    finally:
        await admin.close()
    client = mongo_client(settings)
    try:
        for name in await client.list_database_names():
            if name.startswith(settings.namespace + "_"):
                await client.drop_database(name)
    finally:
        await client.close()


def main(persons: int, rounds: int, baseline: str | None) -> dict:
    from bench.common import machine

    trees = {"working_tree": ROOT}
    if baseline:
        trees = {"baseline": baseline_tree(baseline), **trees}
    runs: dict[str, dict[str, list[dict]]] = {tree: {way: [] for way in WAYS} for tree in trees}
    load = [os.getloadavg()[0]]
    try:
        seed = asyncio.run(seeded(persons, Path(tempfile.gettempdir()) / f"ybss-figpart-city-{persons}"))
        for _ in range(rounds):
            for tree, where in trees.items():
                for way in WAYS:
                    runs[tree][way].append(run_rebuild(where, way))
                    load.append(os.getloadavg()[0])
                    print(json.dumps({"tree": tree, **runs[tree][way][-1]}), flush=True)
    finally:
        asyncio.run(drop_namespace())
        if baseline:
            shutil.rmtree(trees["baseline"], ignore_errors=True)
    table = {}
    for tree, ways in runs.items():
        row = {way: {"events_per_s": [r["events_per_s"] for r in results],
                     "median_events_per_s": statistics.median(r["events_per_s"] for r in results),
                     "conflicts": [r["conflicts"] for r in results]} for way, results in ways.items()}
        row["ratio_side_by_side_over_one_at_a_time"] = round(
            row["side_by_side"]["median_events_per_s"] / row["one_at_a_time"]["median_events_per_s"], 2)
        table[tree] = row
    digests = {r["figures_sha256"] for ways in runs.values() for results in ways.values() for r in results}
    return {"what": "audit-figures rebuild, partitions side by side vs one at a time, baseline and working tree",
            "persons": persons, "seed": seed, "rounds": rounds, "baseline": baseline, "rebuilds": table,
            "figures_equal": len(digests) == 1, "figures_sha256": sorted(digests),
            "load_average": {"min": min(load), "max": max(load)}, "machine": machine(),
            "namespace": get_settings().namespace, "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--baseline", default="HEAD", help="git revision to compare with ('' for none)")
    parser.add_argument("--rebuild", choices=WAYS, help=argparse.SUPPRESS)  # one rebuild, in a child process
    arguments = parser.parse_args()
    if arguments.rebuild:
        print(json.dumps(asyncio.run(rebuild_once(arguments.rebuild))), flush=True)
        sys.exit(0)
    result = main(arguments.persons, arguments.rounds, arguments.baseline or None)
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "figures_partitions.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=2, ensure_ascii=False))
