"""采集表 import: rows per second through the whole agency path, and what re-importing the same file costs.

Runs the person and ingest services as their own uvicorn processes (``python -m services.person`` /
``python -m services.ingest``) in a fresh namespace on the real Kafka and MongoDB-compatible server, and:

1. **Read** — a ``--rows``-row (default 50,000) person 采集表 written in the template's layout is read with
   python-calamine and every row passed through the gate, in this process: rows/s of reading and checking.
2. **Import** — the file is uploaded to POST /v1/ingest/{agency}/imports (as ``ybss import`` does); reports the
   seconds to the 202 (read, checked, published) and until every row is answered in the batch status
   (registered by the person registry, answered on the replies topic, folded into the status): rows/s.
3. **Re-import** — the same file again: every row answered from the stored answers, nothing registered twice.

Writes bench/results/ingest_import.json. Not part of ``make bench``: add ``$(PY) bench/ingest_import.py`` to the
bench target to run it there.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("YBSS_NAMESPACE", f"bench{uuid.uuid4().hex[:8]}")
os.environ.setdefault("YBSS_LOG_LEVEL", "WARNING")
os.environ.setdefault("YBSS_ENVIRONMENT", "local")  # the development keys (services.kernel.base.devkeys)

import httpx  # noqa: E402

from contracts.identity import check_character  # noqa: E402
from services.ingest.config import agencies  # noqa: E402
from services.ingest.imports import admitted  # noqa: E402
from services.ingest.sheets import columns, read_rows, template  # noqa: E402
from services.kernel.web.auth import mint_token  # noqa: E402
from services.kernel.operations.namespaces import drop_namespace  # noqa: E402
from services.kernel.base.settings import get_settings  # noqa: E402

RESULTS = ROOT / "bench" / "results"
AGENCY = "mz-civil-affairs"
EPOCH = date(1930, 1, 1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def wait_ready(base: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)
    raise RuntimeError(f"{base} never became ready")


def workbook(rows: int, run: str) -> bytes:
    """A filled person 采集表: distinct valid citizen IDs, every field of a 常住人口 the agency may send."""
    permitted = agencies()[AGENCY].entity_types["person"]
    cols = columns("person", permitted)
    values = []
    for i in range(rows):
        born = EPOCH + timedelta(days=i % 30_000)
        first17 = f"532503{born:%Y%m%d}{(i // 30_000) % 1000:03d}"
        row = {"record_id": f"{run}-{i}", "operation": "新增", "category": "常住人口",
               "document_number": first17 + check_character(first17), "name": f"李{i % 1000}",
               "sex": "男" if int(first17[-1]) % 2 else "女", "birth_date": born, "ethnicity": "汉族",
               "phone": "13800138000", "division_code": "532503001", "household_number": f"5325030010{i:06d}",
               "relation_to_head": "户主", "lives_at_registered_address": "是"}
        values.append([row.get(column.field) for column in cols])
    return template("person", permitted, values, None)


def spawn(module: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "YBSS_PORT": str(port)}
    return subprocess.Popen([sys.executable, "-m", module], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def import_and_wait(client: httpx.AsyncClient, data: bytes, timeout: float) -> dict:
    started = time.perf_counter()
    response = await client.post(f"/v1/ingest/{AGENCY}/imports", content=data,
                                 params={"entity_type": "person", "file_name": "bench.xlsx"})
    assert response.status_code == 202, response.text
    accepted_after = time.perf_counter() - started
    batch = response.json()
    status: dict = {}
    while time.perf_counter() - started < timeout:
        status = (await client.get(f"/v1/ingest/batches/{batch['batch_id']}", params={"limit": 1})).json()
        if status["done"]:
            break
        await asyncio.sleep(0.5)
    wall = time.perf_counter() - started
    return {"rows": batch["total"], "seconds_to_202": round(accepted_after, 2), "seconds_all_answered": round(wall, 2),
            "rows_per_second": round(batch["total"] / wall, 1), "accepted": status.get("accepted"),
            "rejected": status.get("rejected"), "done": status.get("done")}


async def main(args) -> dict:
    settings = get_settings()
    run = uuid.uuid4().hex[:6]
    result: dict = {"namespace": settings.namespace, "machine": {"cpus": os.cpu_count()}, "rows": args.rows}
    started = time.perf_counter()
    data = workbook(args.rows, run)
    result["write_seconds"] = round(time.perf_counter() - started, 2)
    result["file_mb"] = round(len(data) / 2**20, 2)

    started = time.perf_counter()
    _, rows = read_rows(data, "person")
    rows = list(rows)
    read = time.perf_counter() - started
    records, refused = admitted(agencies()[AGENCY], rows)
    checked = time.perf_counter() - started
    assert not refused, refused[:3]
    result["read"] = {"calamine_rows_per_second": round(len(rows) / read, 1),
                      "read_and_gate_rows_per_second": round(len(records) / checked, 1)}
    print(json.dumps(result["read"]), flush=True)

    ports = {"person": free_port(), "ingest": free_port()}
    processes = [spawn(f"services.{name}", port) for name, port in ports.items()]
    base = f"http://127.0.0.1:{ports['ingest']}"
    token = mint_token(AGENCY, "agency", agencies()[AGENCY].jurisdiction, settings, channel="agency")
    try:
        for port in ports.values():
            await wait_ready(f"http://127.0.0.1:{port}")
        async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=600) as client:
            print(f"importing {args.rows:,} rows…", flush=True)
            result["import"] = await import_and_wait(client, data, args.timeout)
            print(json.dumps(result["import"]), flush=True)
            print("importing the same file again…", flush=True)
            result["reimport"] = await import_and_wait(client, data, args.timeout)
            print(json.dumps(result["reimport"]), flush=True)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        if not args.keep:
            await drop_namespace(settings)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ingest_import.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for every row's answer")
    parser.add_argument("--keep", action="store_true", help="keep the namespace's topics and databases")
    print(json.dumps(asyncio.run(main(parser.parse_args())), ensure_ascii=False, indent=2))
