"""查人知住 at scale: latency of GET /v1/persons/{person_id}/whereabouts with one million persons.

Runs the person service as its own uvicorn process in a fresh namespace on the real Kafka and MongoDB-compatible
server. The ``whereabouts`` read model is filled to ``--persons`` documents of the projection's shape (a person
with two residences, a tenancy in a house with its rental and lessor, an employment at a special-trade unit) by
bulk inserts, and the service's address replica with the door plates they live at, then:

1. **the view itself** — the read the route makes (one document by id, the derived answer, the residence's
   current full name from the replica), measured in this process: what the read model costs;
2. **over HTTP** — ``--lookups`` GET /v1/persons/{id}/whereabouts (token check, jurisdiction, access-log entry,
   JSON) from one client, then from ``--concurrency`` clients; and by document number from one client.

Reports latency p50/p95/p99 and lookups per second; checks each answer found its person and residence. Writes
bench/results/whereabouts.json. Not part of ``make bench``: add ``$(PY) bench/whereabouts.py`` to the bench
target to run it there (about three minutes here, most of it seeding).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("YBSS_NAMESPACE", f"bench{uuid.uuid4().hex[:8]}")
os.environ.setdefault("YBSS_LOG_LEVEL", "WARNING")
os.environ.setdefault("YBSS_ENVIRONMENT", "local")  # the development keys (services.kernel.base.devkeys)

import httpx  # noqa: E402

from person_api import citizen_id, closed_loop, free_port, percentile, save, stop, wait_ready  # noqa: E402
from services.kernel.web.auth import mint_token  # noqa: E402
from services.kernel.messaging.generations import active_generation  # noqa: E402
from services.kernel.operations.namespaces import drop_namespace  # noqa: E402
from services.kernel.messaging.projection import physical_name  # noqa: E402
from services.replicas.address import lookup_address  # noqa: E402
from services.kernel.messaging.runtime import mongo_client  # noqa: E402
from services.kernel.base.settings import get_settings  # noqa: E402
from services.person.projections import ADDRESSES  # noqa: E402
from services.person.views.whereabouts import derive  # noqa: E402
from services.person.whereabouts import WHEREABOUTS  # noqa: E402

PLATES = 20_000
TOWNSHIP = "532503001"


def plate_code(k: int) -> str:
    return f"{TOWNSHIP}5{k:014d}"


def plate_document(k: int) -> dict:
    return {"_id": plate_code(k), "kind": "doorplate", "status": "in_use", "full_name": f"云南省红河州蒙自市文澜街道测试路{k}号",
            "division_code": TOWNSHIP, "place_code": f"{TOWNSHIP}4{k // 100:014d}", "door_number": f"{k}号",
            "township": TOWNSHIP}


def document(i: int) -> dict:
    """A whereabouts document as the projection writes it for a tenant who works at a hotel."""
    number, born, sex = citizen_id(i)
    home, before = plate_code(i % PLATES), plate_code((i + 7) % PLATES)
    house, unit, lessor = f"Hseed{i % 400_000:09d}", f"Useed{i % 50_000:08d}", f"P-lessor{i % 400_000:09d}"
    rental = {"rental_id": "R1", "status": "active", "start": "2025-12-01", "end": None, "ended_on": None,
              "lessor": {"person_id": lessor}, "security_person": {"person_id": lessor}}
    return {
        "_id": f"P-seed{i:09d}", "_person_version": 3,
        "person": {"name": f"种子{i}", "document_type": "resident_id", "document_number": number, "sex": sex,
                   "birth_date": born.isoformat(), "category": "migrant", "division_code": TOWNSHIP,
                   "status": "active", "redirect_to": None, "current_address_code": home,
                   "registration_valid_until": "2027-01-05",
                   "residences": [
                       {"address_code": before, "address_name": "测试路旧址", "moved_in": "2024-03-01",
                        "reason": "务工", "residence_type": "rental", "owner_name": None, "lessor_name": "赵强",
                        "moved_out": "2025-12-01"},
                       {"address_code": home, "address_name": "测试路", "moved_in": "2025-12-01", "reason": "务工",
                        "residence_type": "rental", "owner_name": None, "lessor_name": "赵强", "moved_out": None}]},
        "houses": {house: {"house_id": house, "address_code": home, "address_name": "测试路", "division_code": TOWNSHIP,
                           "use": "rented", "owner": False, "lets": [],
                           "tenancies": [{**rental, "moved_in": "2025-12-01", "moved_out": None}]}},
        "units": {unit: {"unit_id": unit, "name": f"测试宾馆{i % 50_000}", "address_code": before,
                         "address_name": "测试路", "division_code": TOWNSHIP, "status": "open",
                         "special_trades": ["hotel"],
                         "employment": [{"position": "前台", "hired": "2025-12-05", "left": None}]}},
        "logic_errors": [],
    }


async def seed(settings, total: int, batch: int = 10_000) -> float:
    client = mongo_client(settings)
    try:
        db = client[settings.database_name("person")]
        replica = db[physical_name(ADDRESSES, await active_generation(db, ADDRESSES))]
        await replica.insert_many([plate_document(k) for k in range(PLATES)], ordered=False)
        collection = db[physical_name("whereabouts", await active_generation(db, WHEREABOUTS))]
        started = time.perf_counter()
        for low in range(0, total, batch):
            await collection.insert_many([document(i) for i in range(low, min(total, low + batch))], ordered=False)
            if min(total, low + batch) % 100_000 < batch:
                print(f"  seeded {min(total, low + batch):,} / {total:,} ({time.perf_counter() - started:.0f} s)",
                      flush=True)
        return time.perf_counter() - started
    finally:
        await client.close()


def summary(latencies: list[float], wall: float, count: int, **extra) -> dict:
    return {**extra, "lookups": count, "per_second": round(count / wall, 1),
            "latency_ms_p50": round(percentile(latencies, 50) * 1000, 2),
            "latency_ms_p95": round(percentile(latencies, 95) * 1000, 2),
            "latency_ms_p99": round(percentile(latencies, 99) * 1000, 2),
            "latency_ms_max": round(max(latencies) * 1000, 2)}


async def the_view(settings, sample: list[int]) -> dict:
    """The route's reads, without HTTP: one document, the derived answer, the residence's current name."""
    client = mongo_client(settings)
    try:
        db = client[settings.database_name("person")]
        collection = db[physical_name("whereabouts", await active_generation(db, WHEREABOUTS))]
        replica = db[physical_name(ADDRESSES, await active_generation(db, ADDRESSES))]
        misses = 0

        async def read(k: int) -> bool:
            nonlocal misses
            answer = derive(await collection.find_one({"_id": f"P-seed{sample[k]:09d}"}))
            address = await lookup_address(replica, answer["residence"]["address_code"])
            misses += 0 if address and answer["employers"] else 1
            return address is not None

        latencies, _, wall = await closed_loop(len(sample), 1, read)
        return summary(latencies, wall, len(sample), concurrency=1, not_found=misses)
    finally:
        await client.close()


async def main(args) -> dict:
    settings = get_settings()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    service = subprocess.Popen([sys.executable, "-m", "services.person"], cwd=ROOT,
                               env={**os.environ, "YBSS_PORT": str(port)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    headers = {"Authorization": f"Bearer {mint_token('bench', 'police', TOWNSHIP, settings)}"}
    result: dict = {"namespace": settings.namespace, "machine": {"cpus": os.cpu_count()}, "persons": args.persons}
    try:
        await wait_ready(base)
        print(f"seeding {args.persons:,} whereabouts documents…", flush=True)
        result["seed_seconds"] = round(await seed(settings, args.persons), 1)
        sample = random.Random(11).sample(range(args.persons), min(args.lookups, args.persons))
        result["view"] = await the_view(settings, sample)
        print("view", json.dumps(result["view"]), flush=True)
        limits = httpx.Limits(max_connections=args.concurrency + 4)
        async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as client:
            misses = 0

            async def by_id(k: int) -> bool:
                nonlocal misses
                try:
                    response = await client.get(f"/v1/persons/P-seed{sample[k]:09d}/whereabouts")
                except httpx.HTTPError:
                    misses += 1
                    return False
                found = response.status_code == 200 and response.json()["residence"] is not None
                misses += 0 if found else 1
                return found

            async def by_document(k: int) -> bool:
                nonlocal misses
                try:
                    response = await client.get("/v1/persons/whereabouts",
                                                params={"document_number": citizen_id(sample[k])[0]})
                except httpx.HTTPError:
                    misses += 1
                    return False
                found = response.status_code == 200 and response.json()["person_id"] == f"P-seed{sample[k]:09d}"
                misses += 0 if found else 1
                return found

            for i in range(50):  # warm up
                await by_id(i)
            result["http"] = []
            for name, call, concurrency in (("by_id", by_id, 1), ("by_id", by_id, args.concurrency),
                                            ("by_document_number", by_document, 1)):
                misses = 0
                latencies, failures, wall = await closed_loop(len(sample), concurrency, call)
                result["http"].append(summary(latencies, wall, len(sample), route=name, concurrency=concurrency,
                                              not_found=misses, failures=failures))
                print("http", json.dumps(result["http"][-1]), flush=True)
    finally:
        stop(service)
        if not args.keep:
            await drop_namespace(settings)
    save("whereabouts", result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the namespace's data and topics")
    asyncio.run(main(parser.parse_args()))
