"""The supervisor's figures and 查人知住 at the size of the city: answer times of the real HTTP routes over read
models the platform's own code built from a generated 蒙自市.

    .venv/bin/python -m bench.city_reads [--persons 480000] [--rounds 3] [--dir DIR]

1. ``ybss city generate`` (services/city/generate.py) writes the city and its truth.json.
2. Seed (bench/city_seed.py): every record goes through ``services.city.load`` with an in-process transport: the
   registries' own application services (address, person, house, unit) on the kernel's in-memory event stores,
   with the real replica projections for their cross-context lookups; each appended event is published to the
   namespaced events topics as the outbox relay publishes it.
3. The real rebuild (services/kernel/operations/rebuild.py, what ``ybss rebuild`` runs) of audit-figures,
   audit-archive and the person service's projections, as it runs them (``rebuild_all``); then the audit
   service's own compactor folds the figures' pending changes while the services start.
4. The audit and person services run as their own processes (``python -m services.audit``); GET
   /v1/audit/quality, /v1/audit/accuracy and /v1/audit/reports/monthly/{month} (JSON, xlsx, HTML) are timed
   for 5325, 532503 and every township, ``--rounds`` rounds, with a supervisor's token of 5325; 查人知住 by
   document number for ``--sample`` random persons with a county officer's token.

Writes bench/results/city-reads.json (and city-reads-<persons>.json): the p99s, the size, each seeding step's
seconds, the audit and person processes' peak memory (VmHWM) and the quality figures beside the truth.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("YBSS_NAMESPACE", f"cityreads{uuid.uuid4().hex[:6]}")
os.environ.setdefault("YBSS_LOG_LEVEL", "WARNING")
os.environ.setdefault("YBSS_ENVIRONMENT", "local")

import httpx  # noqa: E402

from bench.city import latencies, peak_mb  # noqa: E402
from bench.city_seed import InProcessTransport, KafkaPublisher  # noqa: E402
from bench.common import RESULTS, machine, percentile  # noqa: E402
from bench.person_api import free_port, stop, wait_ready  # noqa: E402
from services.audit.projections.figures import NAME as FIGURES, PENDING  # noqa: E402
from services.city.generate import generate  # noqa: E402
from services.city.load import PROGRESS_FILE, load  # noqa: E402
from services.city.transport import local_token  # noqa: E402
from services.city.writer import read_chunk  # noqa: E402
from services.kernel.base.settings import get_settings  # noqa: E402
from services.kernel.messaging.generations import active_generation  # noqa: E402
from services.kernel.messaging.projection import physical_name  # noqa: E402
from services.kernel.messaging.runtime import kafka_producer, mongo_client  # noqa: E402

YBSS = str(Path(sys.executable).parent / "ybss")
def city(directory: Path, persons: int) -> dict:
    """The generated city in ``directory`` (made when missing or of another size); a fresh progress file."""
    manifest_file = directory / "manifest.json"
    if manifest_file.exists() and json.loads(manifest_file.read_text())["persons"] == persons:
        manifest = json.loads(manifest_file.read_text())
    else:
        shutil.rmtree(directory, ignore_errors=True)
        manifest = generate(directory, persons=persons, seed=2017)
    (directory / PROGRESS_FILE).unlink(missing_ok=True)
    return manifest


async def seed(settings, directory: Path) -> dict:
    producer = kafka_producer(settings)
    await producer.start()
    try:
        publisher = KafkaPublisher(producer, settings.namespace)
        transport = InProcessTransport(publisher)
        started = time.perf_counter()
        report = await load(directory, transport, concurrency=16, show_progress=True)
        await publisher.flush()
        seconds = time.perf_counter() - started
    finally:
        await producer.stop()
    answer = report.as_dict()
    return {"seconds": round(seconds, 1), "records": answer["records"], "rejected": answer["rejected"],
            "rejections": answer["rejections"][:10], "events": publisher.sent,
            "records_per_s": round(answer["records"] / seconds, 1), "events_per_s": round(publisher.sent / seconds, 1),
            "seeder_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


async def rebuild_all(settings) -> dict:
    """Every read model the measured routes read, by the real rebuild (services/kernel/operations/rebuild.py: the
    same runner, handlers, batch limits, indexes, generation swap and committed offsets), one after another. The
    figures' partitions are drained side by side as ``ybss rebuild`` drains them: addresses first, then the rest
    committing one batch at a time (their group documents are shared); this bench drained them one partition at a
    time while every record's batch also wrote its community's link document (bench/README.md, 'A city's reads')."""
    from services.audit.archive import archive
    from services.audit.projections.figures import figures
    from services.kernel.operations import rebuild as replay
    from services.person.app import SPEC as PERSON

    times = {}
    for context, projection in [("audit", figures), ("audit", archive), *(("person", p) for p in PERSON.projections)]:
        report = await replay.rebuild(settings, context, projection, show_progress=False)
        times[projection.name] = {"seconds": report.seconds, "events": report.events,
                                  "events_per_s": report.events_per_second}
        print(json.dumps({"rebuilt": times[projection.name], "projection": projection.name}), flush=True)
    return times


async def pending_left(settings) -> int:
    client = mongo_client(settings)
    try:
        db = client[settings.database_name("audit")]
        return await db[physical_name(PENDING, await active_generation(db, FIGURES))].estimated_document_count()
    finally:
        await client.close()


def compare(truth: dict[str, dict], figures: dict[str, dict]) -> dict:
    """Each truth figure the quality answer names too (same key), per division: what the audit says beside what
    the generator planted, and the figures that differ; the truth's other keys are listed as not comparable."""
    differences, compared, not_named = [], 0, set()
    for division, expected in truth.items():
        found = figures.get(division, {})
        for key, value in expected.items():
            if key not in found or isinstance(value, dict):
                not_named.add(key)
                continue
            compared += 1
            if found[key] != value:
                differences.append({"division": division, "figure": key, "truth": value, "audit": found[key]})
    return {"compared": compared, "differing": len(differences), "differences": differences,
            "truth_keys_not_in_quality": sorted(not_named)}


def summary(seconds: list[float]) -> dict:
    return {"n": len(seconds), "p50_s": round(percentile(seconds, 0.5), 3), "p99_s": round(percentile(seconds, 0.99), 3),
            "max_s": round(max(seconds), 3)}


async def timed(client: httpx.AsyncClient, found: dict, name: str, paths: list[tuple[str, dict]], rounds: int) -> None:
    """One route's answer times into ``found[name]``; a route that fails is recorded with its error and the
    others are still timed (one route's failure at city size must not hide the rest)."""
    try:
        await latencies(client, paths[:1], 1)  # warm
        found[name] = summary(await latencies(client, paths, rounds))
    except (RuntimeError, httpx.HTTPError) as error:
        found[name] = {"error": str(error)[:400]}
    print(json.dumps({name: found[name]}, ensure_ascii=False), flush=True)


async def measure(urls: dict, divisions: list[str], month: str, numbers: list[str], rounds: int) -> dict:
    supervisor = {"Authorization": f"Bearer {local_token('supervisor', '5325')}"}
    found: dict[str, dict] = {}
    figures: dict[str, dict] = {}
    async with httpx.AsyncClient(base_url=urls["audit"], headers=supervisor, timeout=600) as audit:
        for name, path, extra in (("quality", "/v1/audit/quality", {}), ("accuracy", "/v1/audit/accuracy", {}),
                                  ("report", f"/v1/audit/reports/monthly/{month}", {}),
                                  ("report_xlsx", f"/v1/audit/reports/monthly/{month}", {"format": "xlsx"}),
                                  ("report_html", f"/v1/audit/reports/monthly/{month}", {"format": "html"})):
            await timed(audit, found, name, [(path, {"division_code": d, **extra}) for d in divisions], rounds)
        try:
            figures = {d: (await audit.get("/v1/audit/quality", params={"division_code": d})).json() for d in divisions}
        except httpx.HTTPError as error:
            found["figures"] = {"error": str(error)[:400]}
    police = {"Authorization": f"Bearer {local_token('police')}"}
    async with httpx.AsyncClient(base_url=urls["person"], headers=police, timeout=600) as person:
        await timed(person, found, "whereabouts", [("/v1/persons/whereabouts", {"document_number": n}) for n in numbers],
                    rounds)
    return {"routes": found, "figures": figures}


async def quiet(below: float, longest_s: float = 1800) -> float:
    """Waits (up to ``longest_s``) until the machine's one-minute load average is under ``below``, so the timed
    reads are not another process's queue; answers the load average it started at."""
    waited = time.monotonic()
    while below and os.getloadavg()[0] >= below and time.monotonic() - waited < longest_s:
        await asyncio.sleep(10)
    return os.getloadavg()[0]


async def main(persons: int, rounds: int, sample: int, directory: Path, measure_only: bool = False,
               quiet_below: float = 0.0, rebuild_only: bool = False) -> dict:
    """``measure_only``: the namespace (YBSS_NAMESPACE) already holds this city's read models from an earlier
    run, so only the services start and the routes are timed again. ``rebuild_only``: its event topics hold this
    city (an earlier run's seed), so the read models are rebuilt from them and the routes timed."""
    settings = get_settings()
    result: dict = {"persons": persons, "namespace": settings.namespace, "rounds": rounds, "machine": machine()}
    logs = Path(tempfile.gettempdir()) / f"ybss-{settings.namespace}-logs"
    logs.mkdir(exist_ok=True)
    result["logs"] = str(logs)
    steps: dict = {}
    started = time.perf_counter()
    manifest = city(directory, persons)
    steps["generate_s"] = round(time.perf_counter() - started, 1)
    result["records"], result["records_by_kind"] = manifest["total"], manifest["records"]
    truth = json.loads((directory / "truth.json").read_text(encoding="utf-8"))
    if measure_only:
        steps.update(seed={"seconds": 0.0}, rebuild_wall_s=0.0, measure_only=True)
    else:
        if rebuild_only:
            steps.update(seed={"seconds": 0.0}, rebuild_only=True)
        else:
            subprocess.run([YBSS, "topics"], cwd=ROOT, check=True, capture_output=True)
            steps["seed"] = await seed(settings, directory)
            print(json.dumps({"seeded": steps["seed"]}, ensure_ascii=False), flush=True)
        started = time.perf_counter()
        steps["rebuild_s"] = await rebuild_all(settings)
        steps["rebuild_wall_s"] = round(time.perf_counter() - started, 1)
        print(json.dumps({"rebuilt": steps["rebuild_s"]}), flush=True)

    ports = {name: free_port() for name in ("audit", "person")}
    processes = {name: subprocess.Popen([sys.executable, "-m", f"services.{name}"], cwd=ROOT,
                                        env={**os.environ, "YBSS_PORT": str(port)},
                                        stdout=open(logs / f"{name}.log", "ab"), stderr=subprocess.STDOUT)
                 for name, port in ports.items()}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    try:
        started = time.perf_counter()
        for url in urls.values():
            await wait_ready(url, timeout=300)
        while await pending_left(settings):  # the service's compactor folds what the rebuild left pending
            await asyncio.sleep(2)
        steps["start_and_compact_s"] = round(time.perf_counter() - started, 1)
        result["seeding_s"] = round(steps["generate_s"] + steps["seed"]["seconds"] + steps["rebuild_wall_s"]
                                    + steps["start_and_compact_s"], 1)
        result["steps"] = steps
        divisions = sorted(truth["divisions"])
        numbers = [r["body"]["document_number"] for name in manifest["files"] if "-persons-" in name
                   for r in read_chunk(directory / name)]
        numbers = random.Random(1).sample(numbers, min(sample, len(numbers)))
        result["load_average_before"] = await quiet(quiet_below)
        measured = await measure(urls, divisions, truth["as_of"][:7], numbers, rounds)
        result["divisions"] = divisions
        result["load_average_after"] = os.getloadavg()
        for name, times in measured["routes"].items():
            result[f"{name}_p99_s"] = times.get("p99_s")  # None: the route failed (its error is in routes)
        result["routes"] = measured["routes"]
        result["truth"] = compare(truth["divisions"], measured["figures"])
    finally:
        result["peak_memory_mb"] = {name: peak_mb(process.pid) for name, process in processes.items()}
        for process in processes.values():
            stop(process)
    RESULTS.mkdir(parents=True, exist_ok=True)
    for name in ("city-reads.json", f"city-reads-{persons}.json"):
        (RESULTS / name).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=int(os.environ.get("YBSS_BENCH_CITY_PERSONS", "480000")))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sample", type=int, default=200, help="persons asked for 查人知住 per round")
    parser.add_argument("--dir", type=Path, default=None, help="where the city is generated (kept for a re-run)")
    parser.add_argument("--measure-only", action="store_true",
                        help="time the routes again over an earlier run's read models (its YBSS_NAMESPACE)")
    parser.add_argument("--quiet-below", type=float, default=0.0,
                        help="wait until the one-minute load average is under this before timing (at most 30 min)")
    parser.add_argument("--rebuild-only", action="store_true",
                        help="rebuild the read models from an earlier run's event topics (its YBSS_NAMESPACE), no seed")
    arguments = parser.parse_args()
    folder = arguments.dir or Path(tempfile.gettempdir()) / f"ybss-city-{arguments.persons}"
    answer = asyncio.run(main(arguments.persons, arguments.rounds, arguments.sample, folder, arguments.measure_only,
                              arguments.quiet_below, arguments.rebuild_only))
    print(json.dumps({k: v for k, v in answer.items() if k not in ("machine", "routes", "truth")}, ensure_ascii=False,
                     indent=2))
