"""``ybss city load`` over its two transports, on the same generated city, each into a fresh namespace.

Usage: ``python bench/city_transports.py DIR {agency|http} [budget_s]`` — DIR is a generated city (``ybss city
generate``), copied so each run has its own progress file. The address, person, house and unit services (and the
ingest service for the agency transport) run as their own processes in a namespace of this run only (dropped at the end). Prints one JSON line: records/s
as the loader reports it (records acknowledged / seconds), the seconds until the registries' read models equal
the city's truth (services/city/verify.py), the load average before and after, per-kind counts and seconds.
Run the two transports side by side (two processes at once) so both see the same machine, and compare ratios.
When ``budget_s`` runs out first, the rate is what the progress file acknowledged by then (``partial``).
"""

from __future__ import annotations

import asyncio
import json
import os
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
os.environ["YBSS_NAMESPACE"] = f"benchct{uuid.uuid4().hex[:6]}"
os.environ.setdefault("YBSS_LOG_LEVEL", "WARNING")
os.environ.setdefault("YBSS_ENVIRONMENT", "local")

from bench.person_api import free_port, stop, wait_ready  # noqa: E402
from services.city.agency_transport import AgencyTransport  # noqa: E402
from services.city.load import PROGRESS_FILE, load  # noqa: E402
from services.city.transport import HttpTransport  # noqa: E402
from services.city.verify import differences, registry_figures  # noqa: E402
from services.kernel.base.settings import get_settings  # noqa: E402
from services.kernel.messaging.runtime import mongo_client  # noqa: E402
from services.kernel.operations.namespaces import drop_namespace  # noqa: E402

SERVICES = ("address", "person", "house", "unit", "ingest")


def acknowledged(directory: Path) -> int:
    lines = (directory / PROGRESS_FILE).read_text(encoding="utf-8").splitlines()
    return sum(1 for line in lines if '"ok"' in line or '"rejected"' in line)


async def until_truth(settings, truth: dict, deadline_s: float) -> list[str]:
    client = mongo_client(settings)
    try:
        deadline, problems = time.monotonic() + deadline_s, ["not checked"]
        while problems and time.monotonic() < deadline:
            problems = differences(truth["divisions"], await registry_figures(client, settings,
                                                                                date.fromisoformat(truth["as_of"])))
            if problems:
                await asyncio.sleep(3)
        return problems
    finally:
        await client.close()


async def main(source: Path, transport_name: str, budget_s: float) -> dict:
    settings = get_settings()
    directory = Path(tempfile.mkdtemp(prefix=f"ybss-city-{transport_name}-"))
    shutil.copytree(source, directory, dirs_exist_ok=True, ignore=shutil.ignore_patterns(PROGRESS_FILE))
    truth = json.loads((directory / "truth.json").read_text(encoding="utf-8"))
    ports = {name: free_port() for name in SERVICES if name != "ingest" or transport_name != "http"}
    logs = Path(tempfile.gettempdir()) / f"ybss-{settings.namespace}-logs"
    logs.mkdir(exist_ok=True)
    processes = {name: subprocess.Popen([sys.executable, "-m", f"services.{name}"], cwd=ROOT,
                                        env={**os.environ, "YBSS_PORT": str(port)},
                                        stdout=open(logs / f"{name}.log", "ab"), stderr=subprocess.STDOUT)
                 for name, port in ports.items()}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    result: dict = {"transport": transport_name, "namespace": settings.namespace, "records": manifest["total"]}
    try:
        await asyncio.gather(*(wait_ready(url, timeout=900) for url in urls.values()))
        http = HttpTransport(urls=urls)
        transport = http if transport_name == "http" else AgencyTransport(http)
        result["loadavg_before"] = os.getloadavg()
        started = time.perf_counter()
        try:
            report = await asyncio.wait_for(load(directory, transport, 16, show_progress=False), budget_s)
            result.update(report.as_dict())
            result.pop("rejections", None)
        except asyncio.TimeoutError:
            seconds = time.perf_counter() - started
            done = acknowledged(directory)
            result.update(partial=True, sent=done, seconds=round(seconds, 1), records_per_s=round(done / seconds, 1))
        result["loadavg_after_load"] = os.getloadavg()
        problems = (await until_truth(settings, truth, float(os.environ.get("YBSS_BENCH_TRUTH_SECONDS", "600")))
                    if not result.get("partial") else ["partial"])
        result["until_truth_seconds"] = round(time.perf_counter() - started, 1)
        result["truth_differences"] = problems[:20]
        result["loadavg_after"] = os.getloadavg()
        return result
    finally:
        for process in processes.values():
            stop(process)
        await drop_namespace(settings)
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    found = asyncio.run(main(Path(arguments[0]), arguments[1], float(arguments[2]) if len(arguments) > 2 else 3600))
    print(json.dumps(found, ensure_ascii=False), flush=True)
