"""Initial load (历史数据导入): persons per second end to end, accepted and in every read model, beside raw writes.

Runs the person, ingest, house, unit and audit services as their own uvicorn processes (every projection that
reads person events runs: person-registry, -whereabouts, -watch, house-occupants, unit-persons, audit-archive)
in a fresh namespace on the real Kafka and MongoDB-compatible server, and per run:

1. **Agency batches** — ``--persons`` valid persons (distinct citizen IDs, 常住人口 with the fields an agency
   sends) POSTed to /v1/ingest/{agency}/batches in batches of ``--batch`` (at most 10,000); the clock stops
   when every batch is answered AND every projection above has checkpointed every accepted person.
2. **HTTP route** — ``--api-persons`` POST /v1/persons from 50 clients (closed loop), same stop rule.
3. **Registry path alone** (``--registry``, in this process, no Kafka): the person registry's ingest applier on the
   real database, ``--registry`` creates answered one by one (16 at a time, as the consumer did) and then in bulk
   (``services.agency.ingest_batch.apply_many``, 200 at a time) — the step this path batches, measured alone.
4. **Raw baseline, same run** — the person events this run stored, read back and written again with
   ``insert_many`` (1,000 per call) into a scratch collection: the same documents, no rules, no consumers.

Reports the medians of ``--runs`` runs and each rate as a ratio of the raw baseline; writes
bench/results/initial_load.json. ``ybss city load`` measures whole cities; this measures the path.

What limits the rate is read from the CPU each process spent (``cpu``): per service and for the stack's
MongoDB-compatible server and Kafka broker, first while idle (``--idle`` seconds before the first run: what the
processes burn with nothing to do) and then during each run's agency batches, as CPU seconds per 1,000 records.
On a 2-core machine shared with others the rate cannot exceed 2 cores ÷ the CPU a record costs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
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

from bench.common import machine  # noqa: E402
from bench.ingest_import import free_port, wait_ready  # noqa: E402
from contracts.identity import check_character  # noqa: E402
from services.ingest.config import agencies  # noqa: E402
from services.kernel.web.auth import mint_token  # noqa: E402
from services.kernel.messaging.generations import active_generation  # noqa: E402
from services.kernel.operations.namespaces import drop_namespace  # noqa: E402
from services.kernel.messaging.projection import physical_name  # noqa: E402
from services.kernel.messaging.runtime import mongo_client  # noqa: E402
from services.kernel.base.settings import get_settings  # noqa: E402

RESULTS = ROOT / "bench" / "results"
AGENCY = "mz-civil-affairs"
SERVICES = ("person", "ingest", "house", "unit", "audit")
#: (context, projection) of every read model fed by person events
READ_MODELS = (("person", "person-registry"), ("person", "person-whereabouts"), ("person", "person-watch"),
               ("house", "house-occupants"), ("unit", "unit-persons"), ("audit", "audit-archive"))
EPOCH = date(1930, 1, 1)


def spawn(module: str, port: int, logs: Path | None) -> subprocess.Popen:
    """A service as its own process; its log in ``logs`` when given (else dropped)."""
    out = open(logs / f"{module}.log", "w") if logs else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", module], cwd=ROOT, env={**os.environ, "YBSS_PORT": str(port)},
                            stdout=out, stderr=subprocess.STDOUT)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def stack_pids() -> dict[str, int]:
    """The stack's database server and broker, found by their command lines (their CPU is the load's too)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"secantusd" in command and "mongodb" not in found:
            found["mongodb"] = int(entry.name)
        elif b"kafka.Kafka" in command and "kafka" not in found:
            found["kafka"] = int(entry.name)
    return found


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """User+system CPU seconds each process has used so far (/proc/<pid>/stat)."""
    used = {}
    for name, pid in pids.items():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[name] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return used


def cpu_spent(before: dict[str, float], after: dict[str, float], records: int, seconds: float) -> dict:
    """CPU seconds per process between two samples, per 1,000 records and as cores busy on average."""
    spent = {name: after[name] - before[name] for name in after if name in before}
    total = sum(spent.values())
    return {"seconds": {name: round(value, 1) for name, value in spent.items()}, "total_seconds": round(total, 1),
            "per_1000_records": {name: round(1000 * value / records, 2) for name, value in spent.items()} if records else {},
            "total_per_1000_records": round(1000 * total / records, 2) if records else None,
            "cores_busy": round(total / seconds, 2) if seconds else None}


def citizen(i: int) -> tuple[str, date, str]:
    """The i-th distinct valid 蒙自市 citizen ID (birth date and sequence derived from i)."""
    born = EPOCH + timedelta(days=i % 30_000)
    first17 = f"532503{born:%Y%m%d}{(i // 30_000) % 1000:03d}"
    return first17 + check_character(first17), born, "male" if int(first17[-1]) % 2 else "female"


def agency_record(i: int, run: str) -> dict:
    number, born, sex = citizen(i)
    return {"record_id": f"{run}-{i}", "entity_type": "person", "operation": "create", "fields": {
        "category": "registered", "document_number": number, "name": f"李{i % 1000}", "sex": sex,
        "birth_date": born.isoformat(), "ethnicity": "汉族", "phone": "13800138000", "division_code": "532503001",
        "household_number": f"5325030010{i:06d}", "relation_to_head": "户主", "lives_at_registered_address": True}}


def api_registration(i: int) -> dict:
    number, born, sex = citizen(i)
    return {"category": "registered", "document_number": number, "name": f"王{i % 1000}", "sex": sex,
            "birth_date": born.isoformat(), "ethnicity": "01", "phone": "13800138000", "division_code": "532503001",
            "household_number": f"5325030010{i:06d}", "relation_to_head": "户主", "lives_at_registered_address": True}


class ReadModels:
    """How many person streams each read model has checkpointed (a fresh namespace holds only this bench's)."""

    def __init__(self, client, settings) -> None:
        self.client = client
        self.settings = settings

    async def counts(self) -> dict[str, int]:
        counts = {}
        for context, projection in READ_MODELS:
            db = self.client[self.settings.database_name(context)]
            name = physical_name(f"{projection}.checkpoints", await active_generation(db, projection))
            counts[projection] = await db[name].count_documents({"_id": {"$regex": "^person-"}})
        return counts

    async def wait(self, expected: int, deadline: float) -> dict[str, int]:
        counts: dict[str, int] = {}
        while time.perf_counter() < deadline:
            counts = await self.counts()
            if min(counts.values()) >= expected:
                return counts
            await asyncio.sleep(1.0)
        raise TimeoutError(f"read models short of {expected}: {counts}")


async def agency_batches(client: httpx.AsyncClient, records: list[dict], size: int, deadline: float) -> dict:
    """POST every batch, then poll each batch's status until it is answered."""
    ids = []
    for low in range(0, len(records), size):
        response = await client.post(f"/v1/ingest/{AGENCY}/batches", json={"records": records[low:low + size]})
        assert response.status_code == 202, response.text[:500]
        ids.append(response.json()["batch_id"])
    accepted = rejected = 0
    for batch_id in ids:
        while True:
            response = await client.get(f"/v1/ingest/batches/{batch_id}", params={"limit": 1})
            status = response.json() if response.status_code == 200 else {}  # a 503 on a loaded machine: ask again
            if status.get("done"):
                accepted, rejected = accepted + status["accepted"], rejected + status["rejected"]
                break
            if time.perf_counter() > deadline:
                raise TimeoutError(f"batch {batch_id} not answered: {status}")
            await asyncio.sleep(0.5)
    return {"accepted": accepted, "rejected": rejected}


async def api_posts(client: httpx.AsyncClient, bodies: list[dict], concurrency: int = 50) -> dict:
    queue = list(reversed(bodies))
    outcomes: dict[int, int] = {}

    async def worker() -> None:
        while queue:
            response = await client.post("/v1/persons", json=queue.pop())
            outcomes[response.status_code] = outcomes.get(response.status_code, 0) + 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {"accepted": outcomes.pop(201, 0) + outcomes.pop(200, 0), "other": outcomes}


async def raw_baseline(client, settings) -> dict:
    """The run's person events written again with insert_many into a scratch collection (same documents)."""
    db = client[settings.database_name("person")]
    documents = [doc async for doc in db["events"].find({"stream_type": "Person"})]
    scratch = db[f"raw_{uuid.uuid4().hex[:6]}"]
    await scratch.create_index([("stream_id", 1), ("version", 1)], unique=True)
    for document in documents:
        document["_id"] = uuid.uuid4().hex
    started = time.perf_counter()
    for low in range(0, len(documents), 1000):
        await scratch.insert_many(documents[low:low + 1000], ordered=False)
    seconds = time.perf_counter() - started
    await scratch.drop()
    return {"documents": len(documents), "seconds": round(seconds, 2),
            "records_per_s": round(len(documents) / seconds, 1) if seconds else None}


async def one_run(args, run_index: int, clients: dict, models: ReadModels, base_count: int, mongo, settings,
                  pids: dict[str, int]) -> dict:
    run = uuid.uuid4().hex[:6]
    result: dict = {}
    offset = run_index * (args.persons + args.api_persons)
    records = [agency_record(offset + i, run) for i in range(args.persons)]
    cpu_before, load_before = cpu_seconds(pids), os.getloadavg()
    started = time.perf_counter()
    deadline = started + args.timeout
    answered = await agency_batches(clients["ingest"], records, args.batch, deadline)
    answered_s = time.perf_counter() - started
    counts = await models.wait(base_count + answered["accepted"], deadline)
    wall = time.perf_counter() - started
    result["agency_batches"] = {**answered, "persons": args.persons, "seconds_answered": round(answered_s, 2),
                                "seconds_in_every_read_model": round(wall, 2),
                                "records_per_s": round(answered["accepted"] / wall, 1), "read_models": counts,
                                "load_average": [round(value, 2) for value in load_before],
                                "load_average_after": [round(value, 2) for value in os.getloadavg()],
                                "cpu": cpu_spent(cpu_before, cpu_seconds(pids), answered["accepted"], wall)}
    base_count += answered["accepted"]
    print(json.dumps(result["agency_batches"]), flush=True)
    if args.api_persons:
        bodies = [api_registration(offset + args.persons + i) for i in range(args.api_persons)]
        started = time.perf_counter()
        posted = await api_posts(clients["person"], bodies)
        answered_s = time.perf_counter() - started
        await models.wait(base_count + posted["accepted"], started + args.timeout)
        wall = time.perf_counter() - started
        result["http_route"] = {**posted, "seconds_answered": round(answered_s, 2),
                                "seconds_in_every_read_model": round(wall, 2),
                                "records_per_s": round(posted["accepted"] / wall, 1)}
        base_count += posted["accepted"]
        print(json.dumps(result["http_route"]), flush=True)
    if args.registry:
        result["registry_path"] = await registry_path(mongo, settings, args.registry, 10_000_000 + run_index * 100_000)
        print(json.dumps(result["registry_path"]), flush=True)
    result["raw_insert_many"] = await raw_baseline(mongo, settings)
    print(json.dumps(result["raw_insert_many"]), flush=True)
    return result, base_count


async def registry_path(mongo, settings, count: int, offset: int) -> dict:
    """The registry's answer to ``count`` agency creates: IngestApplier.apply one by one vs apply_many in bulk."""
    from contracts.ingest import IngestCommand, IngestRecord, content_hash
    from services.kernel.eventsourcing.claims import MongoClaims
    from services.kernel.eventsourcing.eventstore import EventStore
    from services.agency.ingest import IngestApplier
    from services.agency.ingest_batch import apply_many
    from services.person.application import PersonService
    from services.person.ingest import HANDLERS

    from pymongo import AsyncMongoClient, monitoring

    class Trips(monitoring.CommandListener):
        """Database round trips: what the bulk path saves, whatever the machine's load."""
        count = 0

        def started(self, event) -> None:
            Trips.count += 1

        def succeeded(self, event) -> None:
            pass

        def failed(self, event) -> None:
            pass

    mongo = AsyncMongoClient(settings.mongodb_uri, tz_aware=True, event_listeners=[Trips()])
    db = mongo[settings.database_name("registrybench")]  # no relay or consumer reads it: the registry step alone
    store = EventStore(mongo, db)
    await store.ensure_indexes()
    applier = IngestApplier("person", db, MongoClaims(db), {"person": HANDLERS[0]},
                            PersonService(store, MongoClaims(db), addresses=None))
    run = uuid.uuid4().hex[:6]

    def commands(low: int) -> list:
        made = []
        for i in range(low, low + count):
            raw = agency_record(i, run)
            record = IngestRecord.model_validate(raw)
            made.append(IngestCommand(agency=AGENCY, jurisdiction="532503", record=record,
                                      content_hash=content_hash(record)))
        return made

    result = {}
    one_by_one, gate = commands(offset), asyncio.Semaphore(16)

    async def apply(command) -> str:
        async with gate:
            return (await applier.apply(command)).status

    started, Trips.count = time.perf_counter(), 0
    statuses = await asyncio.gather(*(apply(command) for command in one_by_one))
    seconds = time.perf_counter() - started
    result["one_by_one"] = {"accepted": statuses.count("accepted"), "seconds": round(seconds, 2),
                            "records_per_s": round(count / seconds, 1), "round_trips_per_record": Trips.count / count}
    bulk, accepted = commands(offset + count), 0
    started, Trips.count = time.perf_counter(), 0
    for low in range(0, count, 200):
        answers = await apply_many(applier, bulk[low:low + 200])
        accepted += sum(reply.status == "accepted" for reply in answers.values())
    seconds = time.perf_counter() - started
    result["bulk"] = {"accepted": accepted, "seconds": round(seconds, 2), "records_per_s": round(count / seconds, 1),
                      "round_trips_per_record": Trips.count / count}
    await mongo.close()
    result["speedup"] = round(result["bulk"]["records_per_s"] / result["one_by_one"]["records_per_s"], 1)
    return result


def median_of(runs: list[dict], part: str) -> float | None:
    values = [run[part]["records_per_s"] for run in runs if part in run and run[part].get("records_per_s")]
    return round(statistics.median(values), 1) if values else None


async def main(args) -> dict:
    settings = get_settings()
    result: dict = {"namespace": settings.namespace, "machine": machine(), "persons_per_run": args.persons,
                    "batch": args.batch, "api_persons_per_run": args.api_persons, "runs": []}
    ports = {name: free_port() for name in SERVICES}
    logs = Path(args.logs) if args.logs else None
    if logs:
        logs.mkdir(parents=True, exist_ok=True)
    processes = [spawn(f"services.{name}", port, logs) for name, port in ports.items()]
    agency_token = mint_token(AGENCY, "agency", agencies()[AGENCY].jurisdiction, settings, channel="agency")
    police_token = mint_token("bench-police", "police", "532503", settings)
    mongo = mongo_client(settings)
    try:
        for port in ports.values():
            await wait_ready(f"http://127.0.0.1:{port}", timeout=240)
        models = ReadModels(mongo, settings)
        pids = {**{name: process.pid for name, process in zip(ports, processes)}, **stack_pids()}
        if args.idle:  # what every process burns with nothing to do: the floor under any rate
            before = cpu_seconds(pids)
            await asyncio.sleep(args.idle)
            result["idle_cpu"] = cpu_spent(before, cpu_seconds(pids), 0, args.idle)
            print(json.dumps({"idle_cpu": result["idle_cpu"]}), flush=True)
        clients = {"ingest": httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports['ingest']}", timeout=600,
                                               headers={"Authorization": f"Bearer {agency_token}"}),
                   "person": httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports['person']}", timeout=600,
                                               headers={"Authorization": f"Bearer {police_token}"})}
        base_count = 0
        for index in range(args.runs):
            run, base_count = await one_run(args, index, clients, models, base_count, mongo, settings, pids)
            result["runs"].append(run)
        for client in clients.values():
            await client.aclose()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except Exception:  # noqa: BLE001 - a hung service is killed, the bench still reports
                process.kill()
        if not args.keep:
            await drop_namespace(settings)
        await mongo.close()
    raw = median_of(result["runs"], "raw_insert_many")
    for part in ("registry_path",):
        values = [run[part] for run in result["runs"] if part in run]
        if values:
            for way in ("one_by_one", "bulk"):
                rate = round(statistics.median(value[way]["records_per_s"] for value in values), 1)
                result[f"registry_{way}_records_per_s_median"] = rate
                result[f"registry_{way}_ratio_to_raw_insert_many"] = round(rate / raw, 3) if raw else None
    for part in ("agency_batches", "http_route"):
        rate = median_of(result["runs"], part)
        result[f"{part}_records_per_s_median"] = rate
        result[f"{part}_ratio_to_raw_insert_many"] = round(rate / raw, 3) if rate and raw else None
    result["raw_insert_many_records_per_s_median"] = raw
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "initial_load.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=20_000, help="persons per run through agency batches")
    parser.add_argument("--batch", type=int, default=10_000, help="records per agency batch (at most 10,000)")
    parser.add_argument("--api-persons", type=int, default=1_000, help="persons per run through POST /v1/persons")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--registry", type=int, default=2_000, help="creates per run through the registry path alone")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds a run may take")
    parser.add_argument("--idle", type=float, default=10, help="seconds of idle CPU sampled before the first run")
    parser.add_argument("--keep", action="store_true", help="keep the namespace's topics and databases")
    parser.add_argument("--logs", help="a folder for the services' logs (dropped otherwise)")
    summary = asyncio.run(main(parser.parse_args()))
    print(json.dumps({key: value for key, value in summary.items() if key != "runs"}, ensure_ascii=False, indent=2))
