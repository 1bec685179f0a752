"""Person API (实有人口): the registration rate the API sustains, and lookup latency by ID number at scale.

Runs the person service as its own uvicorn process (``python -m services.person``) in a fresh namespace on the
real Kafka and MongoDB-compatible server, and talks to it over loopback HTTP like any client:

1. **Registration** — ``--registrations`` POST /v1/persons (valid, distinct citizen IDs, migrants with every
   category field) from ``--concurrency`` clients, closed loop. Reports accepted registrations per second,
   request latency p50/p99, and how long the read model took to catch up with the last one.
2. **Lookup at scale** — the ``persons`` read model is filled to ``--persons`` records (default one million)
   by bulk inserts of documents of the projection's shape (a read-side benchmark: writing a million events
   through the API would measure registration again, for an hour), then ``--lookups`` GET
   /v1/persons?id_number=… (each leaves its access-log entry, as in production), first from one client, then
   from ``--lookup-concurrency`` clients. Reports latency p50/p95/p99 and lookups per second, and checks each
   lookup found its person.

Writes bench/results/person_api.json. Not part of ``make bench`` yet: add ``$(PY) bench/person_api.py`` to
the bench target to run it there.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("YBSS_NAMESPACE", f"bench{uuid.uuid4().hex[:8]}")
os.environ.setdefault("YBSS_LOG_LEVEL", "WARNING")
os.environ.setdefault("YBSS_ENVIRONMENT", "local")  # the development keys (services.kernel.base.devkeys)

import httpx  # noqa: E402

from contracts import divisions  # noqa: E402
from contracts.identity import check_character  # noqa: E402
from services.kernel.web.auth import mint_token  # noqa: E402
from services.kernel.messaging.generations import active_generation  # noqa: E402
from services.kernel.operations.namespaces import drop_namespace  # noqa: E402
from services.kernel.messaging.projection import physical_name  # noqa: E402
from services.kernel.messaging.runtime import mongo_client  # noqa: E402
from services.kernel.base.settings import get_settings  # noqa: E402

RESULTS = ROOT / "bench" / "results"
COUNTIES = sorted(code for code in divisions.registry().codes() if len(code) == 6)
EPOCH = date(1930, 1, 1)
DAYS = 30_000


def citizen_id(i: int) -> tuple[str, date, str]:
    """The i-th distinct valid citizen ID (county, birth date, sequence all derived from i)."""
    region = COUNTIES[i % len(COUNTIES)]
    rest = i // len(COUNTIES)
    born = EPOCH + timedelta(days=rest % DAYS)
    seq = (rest // DAYS) % 1000
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + check_character(first17), born, "male" if seq % 2 else "female"


def registration(i: int) -> dict:
    number, born, sex = citizen_id(i)
    return {"category": "migrant", "document_number": number, "name": f"测试{i}", "sex": sex,
            "birth_date": born.isoformat(), "phone": f"139{i % 100_000_000:08d}", "ethnicity": "01",
            "residence_reason": "work", "arrival_date": "2026-01-05", "origin": "四川省广安市",
            "residence_type": "rental", "owner_name": "赵强", "division_code": "532503001"}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]



def stop(service: subprocess.Popen) -> None:
    """Stop a service process started for a benchmark: politely, then for good."""
    service.terminate()
    try:
        service.wait(timeout=20)
    except subprocess.TimeoutExpired:
        service.kill()


def save(name: str, result: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")

async def wait_ready(base: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(f"{base}/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)
    raise RuntimeError("the person service did not become ready")


async def closed_loop(count: int, concurrency: int, call) -> tuple[list[float], int, float]:
    """Run ``call(i)`` for i in range(count) from ``concurrency`` workers; latencies, failures, wall time."""
    latencies: list[float] = []
    failures = 0
    cursor = iter(range(count))

    async def worker() -> None:
        nonlocal failures
        for i in cursor:
            started = time.perf_counter()
            ok = await call(i)
            latencies.append(time.perf_counter() - started)
            failures += 0 if ok else 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, failures, time.perf_counter() - started


def read_model_document(i: int) -> dict:
    """A persons read-model document as the projection writes it for a registered migrant."""
    number, born, sex = citizen_id(i)
    now = datetime.now(timezone.utc)
    details = {"category": "migrant", "residence_reason": "work", "arrival_date": "2026-01-05",
               "origin": "四川省广安市", "residence_type": "rental", "renting": True, "owner_name": "赵强",
               "residence_permit_number": None, "residence_permit_expiry": None,
               "registration_valid_until": "2027-01-05"}
    return {
        "_id": f"P-seed{i:09d}", "_version": 1, "document_type": "resident_id", "document_number": number,
        "legacy_number": None, "nationality": None, "name": f"种子{i}", "former_names": [], "sex": sex,
        "birth_date": born.isoformat(), "ethnicity": "01", "phone": f"+86138{i % 100_000_000:08d}",
        "household_registration": None, "education": None, "marital_status": None, "occupation": None,
        "employer": None, "photo_ref": None, "category": "migrant", "details": details, "legacy_import": False,
        "logic_errors": [], "division_code": "532503001", "status": "active", "redirect_to": None, "merged_from": [],
        "residences": [], "current_address_code": None, "corrections": [], "category_history": [],
        "cancellation": None, "document_number_reversed": number[::-1], "registered_at": now, "registered_by": "bench",
        "deadline": {"category": "migrant", "registered_late": False, "permit_expiry": None,
                     "registration_valid_until": "2027-01-05", "permitted_stay_until": None},
    }


async def seed(settings, start: int, total: int, batch: int = 10_000) -> float:
    client = mongo_client(settings)
    try:
        db = client[settings.database_name("person")]
        collection = db[physical_name("persons", await active_generation(db, "person-registry"))]
        started = time.perf_counter()
        for low in range(start, total, batch):
            await collection.insert_many([read_model_document(i) for i in range(low, min(total, low + batch))],
                                         ordered=False)
            done = min(total, low + batch) - start
            if done % 100_000 < batch:
                print(f"  seeded {done:,} / {total - start:,} ({time.perf_counter() - started:.0f} s)", flush=True)
        return time.perf_counter() - started
    finally:
        await client.close()


async def main(args) -> dict:
    settings = get_settings()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "YBSS_PORT": str(port)}
    service = subprocess.Popen([sys.executable, "-m", "services.person"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    token = mint_token("bench", "police", "532503001", settings)
    headers = {"Authorization": f"Bearer {token}"}
    result: dict = {"namespace": settings.namespace, "machine": {"cpus": os.cpu_count()}}
    try:
        await wait_ready(base)
        limits = httpx.Limits(max_connections=max(args.concurrency, args.lookup_concurrency) + 4)
        async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as client:
            last: dict = {}

            async def register(i: int) -> bool:
                response = await client.post("/v1/persons", json=registration(i))
                if response.status_code == 201:
                    last.update(response.json())
                return response.status_code == 201

            for i in range(args.concurrency):  # warm up connections and the claim path
                await register(10_000_000 + i)
            print(f"registering {args.registrations:,} persons with {args.concurrency} clients…", flush=True)
            latencies, failures, wall = await closed_loop(args.registrations, args.concurrency, register)
            caught_started = time.perf_counter()
            response = await client.get(f"/v1/persons/{last['person_id']}", params={"min_version": last["version"]})
            caught_up = time.perf_counter() - caught_started
            assert response.status_code == 200, response.text
            result["registration"] = {
                "registrations": args.registrations, "concurrency": args.concurrency, "failures": failures,
                "seconds": round(wall, 2), "per_second": round((args.registrations - failures) / wall, 1),
                "latency_ms_p50": round(percentile(latencies, 50) * 1000, 1),
                "latency_ms_p99": round(percentile(latencies, 99) * 1000, 1),
                "read_model_caught_up_after_s": round(caught_up, 2)}
            print(json.dumps(result["registration"]), flush=True)

            seeded = max(0, args.persons - args.registrations)
            print(f"seeding the read model to {args.persons:,} persons…", flush=True)
            result["seed_seconds"] = round(await seed(settings, 20_000_000, 20_000_000 + seeded), 1)
            population = list(range(20_000_000, 20_000_000 + seeded)) or list(range(args.registrations))
            sample = random.Random(7).sample(population, min(args.lookups, len(population)))
            misses = 0

            async def lookup(k: int) -> bool:
                nonlocal misses
                number = citizen_id(sample[k])[0]
                response = await client.get("/v1/persons", params={"id_number": number})
                found = response.status_code == 200 and response.json()["total"] == 1
                misses += 0 if found else 1
                return found

            result["lookup"] = []
            for concurrency in (1, args.lookup_concurrency):
                misses = 0
                print(f"looking up {len(sample):,} ID numbers with {concurrency} client(s)…", flush=True)
                latencies, failures, wall = await closed_loop(len(sample), concurrency, lookup)
                result["lookup"].append({
                    "persons": seeded + args.registrations + args.concurrency, "lookups": len(sample),
                    "concurrency": concurrency, "not_found": misses,
                    "per_second": round(len(sample) / wall, 1),
                    "latency_ms_p50": round(percentile(latencies, 50) * 1000, 1),
                    "latency_ms_p95": round(percentile(latencies, 95) * 1000, 1),
                    "latency_ms_p99": round(percentile(latencies, 99) * 1000, 1),
                    "latency_ms_mean": round(statistics.mean(latencies) * 1000, 1)})
                print(json.dumps(result["lookup"][-1]), flush=True)
    finally:
        stop(service)
        if not args.keep:
            await drop_namespace(settings)
    save("person_api", result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--registrations", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--persons", type=int, default=1_000_000, help="read-model size for the lookups")
    parser.add_argument("--lookups", type=int, default=3000)
    parser.add_argument("--lookup-concurrency", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the namespace (databases, topics) afterwards")
    print(json.dumps(asyncio.run(main(parser.parse_args())), ensure_ascii=False, indent=2))
