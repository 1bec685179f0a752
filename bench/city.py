"""A whole city (测试用城市): generate it, load it through the registries' front doors, and time what a supervisor
and a police officer then ask of it.

``make bench-city`` runs the real city (YBSS_BENCH_CITY_PERSONS, default 480,000 persons); ``make bench`` runs
50,000. The services run as their own processes (address, person, house, unit, audit) in a fresh namespace on
the real Kafka and MongoDB-compatible server; the loader is ``ybss city load`` (services/city/load.py) over its
default transport (the city-load agency's batches beside HTTP; YBSS_BENCH_CITY_TRANSPORT=http for the old path).

Measured (bench/results/city.json):
- ``load_records_per_s``: records acknowledged by the registries per second, and ``city_load_seconds``: from
  the first record sent until every registry's read model agrees with the ground truth (or the deadline);
  beside them ``raw_insert_records_per_s``, the same documents written with plain ``insert_many`` into one
  collection in the same run, and the ratio;
- ``quality_p99_s`` and ``report_p99_s``: GET /v1/audit/quality and /v1/audit/reports/monthly/{month} for the
  prefecture, the county and every township; ``whereabouts_p99_s``: 查人知住 by document number for random
  persons; ``worklist_export_seconds``: GET /v1/persons/deadlines?flag=migrant_registered_late&format=csv
  for the county, streamed whole;
- ``peak_memory_mb`` of each service process (VmHWM) and of the loader;
- ``truth_differences``: figures where the registries disagree with the ground truth (should be empty).
"""

from __future__ import annotations

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
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("YBSS_NAMESPACE", f"benchcity{uuid.uuid4().hex[:6]}")
os.environ.setdefault("YBSS_LOG_LEVEL", "WARNING")
os.environ.setdefault("YBSS_ENVIRONMENT", "local")

import httpx  # noqa: E402

from bench.common import RESULTS, machine, percentile  # noqa: E402
from bench.person_api import free_port, stop, wait_ready  # noqa: E402
from services.city.generate import generate  # noqa: E402
from services.city.agency_transport import AgencyTransport  # noqa: E402
from services.city.load import load  # noqa: E402
from services.city.transport import HttpTransport, local_token  # noqa: E402
from services.city.verify import differences, registry_figures  # noqa: E402
from services.city.writer import read_chunk  # noqa: E402
from services.kernel.messaging.runtime import mongo_client  # noqa: E402
from services.kernel.base.settings import get_settings  # noqa: E402

SERVICES = ("address", "person", "house", "unit", "audit", "ingest")
PERSONS = int(os.environ.get("YBSS_BENCH_CITY_PERSONS", "480000"))
CONCURRENCY = int(os.environ.get("YBSS_BENCH_CITY_CONCURRENCY", "16"))
#: agency (the loader's default: the city-load agency's batches beside HTTP) or http (every record by HTTP)
TRANSPORT = os.environ.get("YBSS_BENCH_CITY_TRANSPORT", "agency")
CATCH_UP_S = float(os.environ.get("YBSS_BENCH_CITY_CATCH_UP_SECONDS", "600"))


def peak_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


async def raw_baseline(settings, directory: Path, files: list[str]) -> float:
    """The same documents (the records as generated) bulk-inserted into one scratch collection: records/s."""
    client = mongo_client(settings)
    collection = client[f"{settings.namespace}_bench_raw"]["records"]
    count, started = 0, time.perf_counter()
    try:
        for name in files:
            documents = read_chunk(directory / name)
            for start in range(0, len(documents), 1000):
                await collection.insert_many([dict(d, _id=f"{d['id']}") for d in documents[start:start + 1000]],
                                             ordered=False)
            count += len(documents)
        return count / (time.perf_counter() - started)
    finally:
        await client.drop_database(f"{settings.namespace}_bench_raw")
        await client.close()


async def latencies(client: httpx.AsyncClient, paths: list[tuple[str, dict]], rounds: int = 3) -> list[float]:
    found = []
    for _ in range(rounds):
        for path, params in paths:
            started = time.perf_counter()
            response = await client.get(path, params=params)
            found.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path} {params}: {response.status_code} {response.text[:300]}")
    return found


async def main() -> dict:
    settings = get_settings()
    result: dict = {"persons": PERSONS, "namespace": settings.namespace, "concurrency": CONCURRENCY,
                    "transport": TRANSPORT,
                    "machine": machine()}
    ports = {name: free_port() for name in SERVICES}
    logs = Path(tempfile.gettempdir()) / f"ybss-{settings.namespace}-logs"  # kept: why a run stalled
    logs.mkdir(exist_ok=True)
    result["service_logs"] = str(logs)
    processes = {name: subprocess.Popen([sys.executable, "-m", f"services.{name}"], cwd=ROOT,
                                        env={**os.environ, "YBSS_PORT": str(port)},
                                        stdout=open(logs / f"{name}.log", "ab"), stderr=subprocess.STDOUT)
                 for name, port in ports.items()}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    directory = Path(tempfile.mkdtemp(prefix="ybss-city-"))
    try:
        for url in urls.values():
            await wait_ready(url, timeout=180)
        started = time.perf_counter()
        manifest = generate(directory, persons=PERSONS, seed=2017)
        result["generate_seconds"] = round(time.perf_counter() - started, 1)
        result["records"] = manifest["total"]
        result["records_by_kind"] = manifest["records"]
        truth = json.loads((directory / "truth.json").read_text(encoding="utf-8"))
        print(json.dumps({"generated": manifest["total"], "seconds": result["generate_seconds"]}), flush=True)

        started = time.perf_counter()
        http = HttpTransport(urls=urls)
        transport = http if TRANSPORT == "http" else AgencyTransport(http)
        report = await load(directory, transport, CONCURRENCY, show_progress=True)
        result["load"] = report.as_dict()
        result["load_records_per_s"] = report.records_per_s
        client = mongo_client(settings)
        deadline, problems = time.monotonic() + CATCH_UP_S, ["not checked"]
        while problems and time.monotonic() < deadline:
            problems = differences(truth["divisions"], await registry_figures(client, settings,
                                                                                date.fromisoformat(truth["as_of"])))
            if problems:
                await asyncio.sleep(5)
        await client.close()
        result["city_load_seconds"] = round(time.perf_counter() - started, 1)
        result["truth_differences"] = problems[:50]
        raw = await raw_baseline(settings, directory, manifest["files"])
        result["raw_insert_records_per_s"] = round(raw, 1)
        result["load_vs_raw_ratio"] = round(report.records_per_s / raw, 4) if raw else None
        print(json.dumps({k: result[k] for k in ("load_records_per_s", "city_load_seconds", "raw_insert_records_per_s",
                                                 "load_vs_raw_ratio")}), flush=True)

        divisions = sorted(truth["divisions"])
        month = truth["as_of"][:7]
        headers = {"Authorization": f"Bearer {local_token('supervisor', '5325')}"}
        async with httpx.AsyncClient(base_url=urls["audit"], headers=headers, timeout=300) as audit:
            quality = await latencies(audit, [("/v1/audit/quality", {"division_code": d}) for d in divisions])
            report_times = await latencies(audit, [(f"/v1/audit/reports/monthly/{month}", {"division_code": d})
                                                   for d in divisions])
        result["quality_p99_s"] = round(percentile(quality, 0.99), 3)
        result["report_p99_s"] = round(percentile(report_times, 0.99), 3)
        numbers = [r["body"]["document_number"] for name in manifest["files"] if "-persons-" in name
                   for r in read_chunk(directory / name)]
        sample = random.Random(1).sample(numbers, min(200, len(numbers)))
        police = {"Authorization": f"Bearer {local_token('police')}"}
        async with httpx.AsyncClient(base_url=urls["person"], headers=police, timeout=300) as person:
            found = await latencies(person, [("/v1/persons/whereabouts", {"document_number": n}) for n in sample], 1)
            result["whereabouts_p99_s"] = round(percentile(found, 0.99), 3)
            started, size = time.perf_counter(), 0
            async with person.stream("GET", "/v1/persons/deadlines",  # every migrant of the city registers late
                                     params={"format": "csv", "flag": "migrant_registered_late"}) as response:
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
            result["worklist_export_seconds"] = round(time.perf_counter() - started, 2)
            result["worklist_export_bytes"] = size
            result["worklist_export_status"] = response.status_code
    finally:
        result["peak_memory_mb"] = {name: peak_mb(process.pid) for name, process in processes.items()}
        result["peak_memory_mb"]["loader"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        for process in processes.values():
            stop(process)
        shutil.rmtree(directory, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    for name in ("city.json", f"city-{PERSONS}.json"):  # the latest run, and the run of this size kept apart
        (RESULTS / name).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main()), ensure_ascii=False, indent=2))
