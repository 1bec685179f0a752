"""``make bench``: what the event pipeline sustains, beside raw MongoDB and Kafka doing the same work.

One run, one machine (its facts are in every result file), the real broker and database:

1. **Sustained pipeline** (results/pipeline.json): an open-loop offered append rate held for 30 s per step
   (appends issued on a clock, not as fast as the previous ones finish), through the event store, the outbox
   relay, Kafka and the projection consumers running in their own process. Each step reports the rate actually
   offered, and the append → read-model lag of every event (its recorded_at to the commit that applied it)
   p50/p99/max. A step is *sustained* when the offered rate was met, the read model caught up within 5 s
   after the step, and the lag in the step's second half had p99 under 2 s (not growing without bound).
   Steps go up by 30% from 90% of a short closed-loop capacity probe until one is not sustained (or five
   steps, to keep ``make bench`` under ten minutes: then the limit is above the last step).
2. **Same-work raw baselines** (results/baselines.json): raw MongoDB doing the writes the pipeline does per
   event (the event document with the event store's indexes, the outbox flag update, the read-model upsert
   with its secondary index, the checkpoint upsert), once one operation at a time (50 concurrent writers)
   and once batched (500 per bulk write); raw Kafka producing the same bytes with the same keys (acks=all,
   idempotent) and consuming them with a commit per poll. The pipeline is reported as a ratio of each.
3. **Replay** (results/rebuild.json): the bench topic is filled to --rebuild-events events (the pipeline's
   events included), then ``rebuild`` replays all of it into a fresh generation.
4. **Command API** (results/api.json, bench/api.py): door-plate registrations against a real uvicorn process.

results/summary.json carries the headline figures of this run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("YBSS_NAMESPACE", f"bench{uuid.uuid4().hex[:8]}")
os.environ.setdefault("YBSS_LOG_LEVEL", "WARNING")
os.environ.setdefault("YBSS_ENVIRONMENT", "local")  # the development keys (services.kernel.base.devkeys)

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition  # noqa: E402
from aiokafka.partitioner import DefaultPartitioner  # noqa: E402
from pymongo import ASCENDING, InsertOne, UpdateOne  # noqa: E402

from bench import common  # noqa: E402
from contracts.topics import events_topic  # noqa: E402
from services.kernel.eventsourcing.eventstore import EventStore, envelope_to_document  # noqa: E402
from services.kernel.base.logging import configure_logging  # noqa: E402
from services.kernel.operations.namespaces import drop_namespace  # noqa: E402
from services.kernel.messaging.outbox import OutboxRelay  # noqa: E402
from services.kernel.operations.rebuild import rebuild  # noqa: E402
from services.kernel.messaging.runtime import kafka_producer, mongo_client  # noqa: E402
from services.kernel.base.settings import get_settings  # noqa: E402
from services.kernel.messaging.topics import ensure_topics  # noqa: E402

STEP_SECONDS = 30
STREAMS = 4000
MAX_IN_FLIGHT = 400


# ---------------------------------------------------------------------------- sustained pipeline

class Loader:
    """Appends on a clock: each stream gets its next version once its previous append returned."""

    def __init__(self, store: EventStore, run: str) -> None:
        self.store = store
        self.run = run
        self.versions = [0] * STREAMS
        self.busy = [False] * STREAMS
        self.cursor = 0
        self.in_flight = 0
        self.appended = 0
        self.errors = 0

    def _next_stream(self) -> int | None:
        for _ in range(STREAMS):
            self.cursor = (self.cursor + 1) % STREAMS
            if not self.busy[self.cursor]:
                return self.cursor
        return None

    async def _append(self, index: int) -> None:
        version = self.versions[index] + 1
        try:
            await self.store.append(f"plate-{self.run}-{index}", version - 1, [common.envelope(index, version, self.run)])
            self.versions[index] = version
            self.appended += 1
        except Exception:  # noqa: BLE001 - counted; a failed append is re-tried with the same version later
            self.errors += 1
        finally:
            self.busy[index] = False
            self.in_flight -= 1

    async def offer(self, rate: float, seconds: float) -> dict:
        """Issue ``rate`` appends per second for ``seconds``; report what was actually offered."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        issued = 0
        tasks: set[asyncio.Task] = set()
        while (elapsed := loop.time() - started) < seconds:
            due = int(rate * elapsed)
            while issued < due and self.in_flight < MAX_IN_FLIGHT:
                index = self._next_stream()
                if index is None:
                    break
                self.busy[index] = True
                self.in_flight += 1
                task = asyncio.create_task(self._append(index))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                issued += 1
            await asyncio.sleep(0.005)
        if tasks:
            await asyncio.gather(*tasks)
        return {"target_per_s": rate, "offered_per_s": round(issued / seconds, 1), "issued": issued,
                "append_errors": self.errors}


def read_lags(path: Path, since: float, until: float | None = None) -> list[tuple[float, float]]:
    rows = []
    with path.open() as handle:
        for line in handle:
            at, lag = line.split()
            at = float(at)
            if at >= since and (until is None or at < until):
                rows.append((at, float(lag)))
    return rows


async def wait_applied(path: Path, expected: int, since: float, timeout: float) -> float:
    """Seconds until ``expected`` events applied since ``since`` (inf if not within ``timeout``)."""
    started = time.time()
    while time.time() - started < timeout:
        if len(read_lags(path, since)) >= expected:
            return time.time() - started
        await asyncio.sleep(0.25)
    return float("inf")


async def sustained(settings, run: str, lag_file: Path, step_seconds: int, max_steps: int) -> dict:
    client = mongo_client(settings)
    db = client[settings.database_name(common.CONTEXT)]
    store = EventStore(client, db)
    await store.ensure_indexes()
    producer = kafka_producer(settings)
    await producer.start()
    relay = OutboxRelay(store, producer, events_topic(common.CONTEXT, settings.namespace), common.CONTEXT,
                        batch_size=settings.relay_batch_size, idle_poll_seconds=settings.relay_idle_poll_seconds)
    relay.start()
    loader = Loader(store, run)
    steps = []
    try:
        # Capacity probe: offer far more than can be met for 6 s and see what is appended and applied (a backlog
        # drained closed-loop understates what an open loop sustains, so the steps start at 90% of it).
        probe_started = time.time()
        probe = await loader.offer(20000, 6)
        await wait_applied(lag_file, probe["issued"] - probe["append_errors"], probe_started, 20)
        applied = read_lags(lag_file, probe_started)
        probe_rate = len(applied) / max((max(at for at, _ in applied) - probe_started), 1e-9) if applied else 0
        probe["applied_per_s_closed_loop"] = round(probe_rate, 1)
        append_only = probe["offered_per_s"]
        rate = max(250.0, round(min(probe_rate, append_only) * 0.9 / 50) * 50)
        print(f"  probe: {probe}", flush=True)
        for _ in range(max_steps):
            started = time.time()
            offered = await loader.offer(rate, step_seconds)
            ended = time.time()
            expected = offered["issued"] - offered["append_errors"]
            # Where the backlog sits when the offer stops: still in the outbox (relay) or in Kafka (consumers).
            unpublished = await store.events.count_documents({"published": False})
            unapplied = expected - len(read_lags(lag_file, started))
            behind = await wait_applied(lag_file, expected, started, 8)
            rows = read_lags(lag_file, started)
            lags = [lag for _, lag in rows]
            second_half = [lag for at, lag in rows if at >= started + step_seconds / 2 and at < ended]
            step = {**offered, "applied": len(rows), "caught_up_after_s": None if behind == float("inf") else round(behind, 2),
                    "lag_p50_s": common.percentile(lags, 0.5), "lag_p99_s": common.percentile(lags, 0.99),
                    "lag_max_s": max(lags) if lags else None,
                    "lag_p99_second_half_s": common.percentile(second_half, 0.99),
                    "backlog_at_end": {"in_outbox": unpublished, "in_kafka": max(0, unapplied - unpublished)}}
            step["sustained"] = bool(offered["offered_per_s"] >= 0.95 * rate and behind <= 5
                                     and step["lag_p99_second_half_s"] is not None
                                     and step["lag_p99_second_half_s"] < 2.0)
            steps.append(step)
            print(f"  step {rate:>7.0f}/s: offered {offered['offered_per_s']}/s, lag p50 {step['lag_p50_s']} "
                  f"p99 {step['lag_p99_s']} max {step['lag_max_s']}, backlog {step['backlog_at_end']}, "
                  f"sustained={step['sustained']}", flush=True)
            if not step["sustained"]:
                break
            rate = round(rate * 1.3 / 50) * 50
    finally:
        await relay.stop()
        await producer.stop()
        await client.close()
    best = max((s for s in steps if s["sustained"]), key=lambda s: s["offered_per_s"], default=None)
    under_1s = max((s for s in steps if s["sustained"] and s["lag_p99_s"] < 1.0), key=lambda s: s["offered_per_s"],
                   default=None)
    return {"probe": probe, "steps": steps, "step_seconds": step_seconds, "streams": STREAMS,
            "sustained_events_per_s": best["offered_per_s"] if best else 0.0,
            "lag_at_sustained": {k: best[k] for k in ("lag_p50_s", "lag_p99_s", "lag_max_s")} if best else None,
            "sustained_with_lag_p99_under_1s_events_per_s": under_1s["offered_per_s"] if under_1s else 0.0,
            "lag_at_p99_under_1s": ({k: under_1s[k] for k in ("lag_p50_s", "lag_p99_s", "lag_max_s")}
                                    if under_1s else None),
            "first_unsustained": next(({"target_per_s": s["target_per_s"], "lag_p99_s": s["lag_p99_s"],
                                        "backlog_at_end": s["backlog_at_end"]} for s in steps if not s["sustained"]),
                                      None)}


# ---------------------------------------------------------------------------- same-work raw baselines

async def raw_mongo(settings, n: int, batched: bool, concurrency: int = 50, batch: int = 500) -> float:
    """The pipeline's per-event MongoDB writes, without the pipeline: event insert (same document, same indexes),
    outbox flag update, read-model upsert (same secondary index), checkpoint upsert."""
    client = mongo_client(settings)
    db = client[f"{settings.namespace}_raw{'b' if batched else 's'}"]
    events, plates, checkpoints = db["events"], db["plates"], db["checkpoints"]
    await events.create_index([("stream_id", ASCENDING), ("version", ASCENDING)], unique=True)
    await events.create_index([("published", ASCENDING), ("_id", ASCENDING)])
    await plates.create_index([("road", ASCENDING), ("number", ASCENDING)])
    run = common.run_id()
    documents = [envelope_to_document(common.envelope(i, 1, run)) for i in range(n)]

    def plate(doc: dict) -> dict:
        p = doc["payload"]
        return {"code": p["code"], "road": p["road"], "number": p["number"], "name": p["name"],
                "division_code": p["division_code"], "_version": doc["version"]}

    started = time.perf_counter()
    if batched:
        for start in range(0, n, batch):
            chunk = documents[start:start + batch]
            await events.insert_many(chunk, ordered=False)
            await events.update_many({"_id": {"$in": [d["_id"] for d in chunk]}}, {"$set": {"published": True}})
            await plates.bulk_write([UpdateOne({"_id": d["stream_id"]}, {"$set": plate(d)}, upsert=True) for d in chunk])
            await checkpoints.bulk_write([UpdateOne({"_id": d["stream_id"]}, {"$set": {"version": 1}}, upsert=True)
                                          for d in chunk])
    else:
        queue = iter(documents)

        async def writer() -> None:
            for doc in queue:
                await events.insert_one(doc)
                await events.update_one({"_id": doc["_id"]}, {"$set": {"published": True}})
                await plates.update_one({"_id": doc["stream_id"]}, {"$set": plate(doc)}, upsert=True)
                await checkpoints.update_one({"_id": doc["stream_id"]}, {"$set": {"version": 1}}, upsert=True)

        await asyncio.gather(*(writer() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    await client.drop_database(db.name)
    await client.close()
    return n / elapsed


async def raw_kafka(settings, n: int) -> float:
    """Produce the pipeline's bytes with its keys (acks=all, idempotent), consume them with a commit per poll."""
    topic = f"{settings.namespace}.raw"
    await ensure_topics(settings, [topic])
    run = common.run_id()
    records = [(e.to_bytes(), e.stream_id.encode(), e.kafka_headers()) for e in
               (common.envelope(i % STREAMS, i // STREAMS + 1, run) for i in range(n))]
    producer = kafka_producer(settings)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap_servers, group_id=f"{topic}.g",
                                enable_auto_commit=False, auto_offset_reset="earliest")
    await producer.start()
    await consumer.start()
    started = time.perf_counter()

    async def produce() -> None:
        futures = [await producer.send(topic, value=value, key=key, headers=headers) for value, key, headers in records]
        await asyncio.gather(*futures)

    async def consume() -> None:
        received = 0
        while received < n:
            batch = await consumer.getmany(timeout_ms=500, max_records=500)
            for records_ in batch.values():
                received += len(records_)
            if batch:
                await consumer.commit()

    await asyncio.gather(produce(), consume())
    elapsed = time.perf_counter() - started
    await producer.stop()
    await consumer.stop()
    return n / elapsed


# ---------------------------------------------------------------------------- replay

async def fill_topic(settings, target: int) -> int:
    """Top the bench topic up to ``target`` records: new streams of ten versions each, batched per partition."""
    topic = events_topic(common.CONTEXT, settings.namespace)
    probe = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await probe.start()
    try:
        partitions = list(range(settings.topic_partitions))  # ensure_topics created it so
        tps = [TopicPartition(topic, p) for p in partitions]
        existing = sum((await probe.end_offsets(tps)).values())
    finally:
        await probe.stop()
    missing = max(0, target - existing)
    if not missing:
        return existing
    run = common.run_id()
    template = common.envelope(0, 1, run)
    text = template.to_bytes().decode()
    marker_stream, marker_version = template.stream_id, '"version":1'
    assert marker_stream in text and marker_version in text
    partitioner = DefaultPartitioner()
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all",
                                enable_idempotence=True, linger_ms=20, max_batch_size=1 << 20,
                                max_request_size=8 << 20)
    await producer.start()
    try:
        batches: dict[int, object] = {}
        futures = []
        for n in range(missing):
            stream = f"fill-{run}-{n // 10}"
            key = stream.encode()
            value = (text.replace(marker_stream, stream).replace(marker_version, f'"version":{n % 10 + 1}')
                     .encode())
            partition = partitioner(key, partitions, partitions)
            batch = batches.get(partition) or batches.setdefault(partition, producer.create_batch())
            if batch.append(key=key, value=value, timestamp=None) is None:
                futures.append(await producer.send_batch(batch, topic, partition=partition))
                batch = batches[partition] = producer.create_batch()
                batch.append(key=key, value=value, timestamp=None)
        for partition, batch in batches.items():
            futures.append(await producer.send_batch(batch, topic, partition=partition))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return existing + missing


async def replay(settings, events: int) -> dict:
    fill_started = time.perf_counter()
    total = await fill_topic(settings, events)
    fill_seconds = time.perf_counter() - fill_started
    report = await rebuild(settings, common.CONTEXT, common.ledger, swap=False, show_progress=sys.stderr.isatty())
    return {"events_in_log": total, "fill_seconds": round(fill_seconds, 1), **report.__dict__,
            "round_trips_per_event": round(report.round_trips / max(report.events, 1), 4)}


# ---------------------------------------------------------------------------- main

def write(name: str, data: dict) -> None:
    common.RESULTS.mkdir(exist_ok=True)
    (common.RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


async def main(args) -> dict:
    settings = get_settings()
    configure_logging("WARNING", service="bench")
    facts = common.machine()
    run = common.run_id()
    await ensure_topics(settings, [events_topic(common.CONTEXT, settings.namespace)])
    lag_file = Path(f"/tmp/ybss-bench-{settings.namespace}.lag")
    lag_file.write_text("")
    ready = Path(str(lag_file) + ".ready")
    ready.unlink(missing_ok=True)
    consumers = subprocess.Popen([sys.executable, str(Path(__file__).parent / "consumer_proc.py"), str(lag_file)],
                                 env=os.environ.copy())
    summary: dict = {"namespace": settings.namespace, "machine": facts}
    try:
        for _ in range(300):
            if ready.exists():
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(3)  # consumer group join
        print("baselines ...", flush=True)
        baselines = {
            "raw_mongo_same_work_single_per_s": round(await raw_mongo(settings, args.baseline_events // 5, batched=False), 1),
            "raw_mongo_same_work_batched_per_s": round(await raw_mongo(settings, args.baseline_events, batched=True), 1),
            "raw_kafka_produce_consume_commit_per_s": round(await raw_kafka(settings, args.baseline_events), 1),
            "events": args.baseline_events, "single_events": args.baseline_events // 5, "machine": facts,
        }
        print(json.dumps(baselines, default=str)[:300], flush=True)
        print("sustained pipeline ...", flush=True)
        pipeline = await sustained(settings, run, lag_file, args.step_seconds, args.max_steps)
        rate = pipeline["sustained_events_per_s"]
        pipeline["ratios"] = {
            "vs_raw_mongo_single": round(rate / baselines["raw_mongo_same_work_single_per_s"], 3),
            "vs_raw_mongo_batched": round(rate / baselines["raw_mongo_same_work_batched_per_s"], 3),
            "vs_raw_kafka": round(rate / baselines["raw_kafka_produce_consume_commit_per_s"], 3),
        }
        pipeline["machine"] = facts
        write("baselines", baselines)
        write("pipeline", pipeline)
    finally:
        consumers.terminate()
        consumers.wait(timeout=30)
    replayed = {}
    if args.rebuild_events:
        print(f"replay of {args.rebuild_events} events ...", flush=True)
        replayed = await replay(settings, args.rebuild_events)
        replayed["machine"] = facts
        write("rebuild", replayed)
        print(json.dumps({k: v for k, v in replayed.items() if k != "machine"}), flush=True)
    api = {}
    if args.api_seconds:
        print("command API ...", flush=True)
        from bench.api import measure_api

        api = await measure_api(settings, args.api_seconds, args.api_clients, separate=not args.api_one_process)
        api["machine"] = facts
        write("api", api)
    lag = pipeline.get("lag_at_sustained") or {}
    summary.update({
        "pipeline_sustained_events_per_s": pipeline["sustained_events_per_s"],
        "pipeline_sustained_lag_p99_under_1s_events_per_s": pipeline["sustained_with_lag_p99_under_1s_events_per_s"],
        "pipeline_first_unsustained": pipeline["first_unsustained"],
        "lag_p50_s": lag.get("lag_p50_s"), "lag_p99_s": lag.get("lag_p99_s"), "lag_max_s": lag.get("lag_max_s"),
        "raw_mongo_same_work_per_s": baselines["raw_mongo_same_work_batched_per_s"],
        "raw_mongo_same_work_single_per_s": baselines["raw_mongo_same_work_single_per_s"],
        "raw_kafka_same_work_per_s": baselines["raw_kafka_produce_consume_commit_per_s"],
        "pipeline_vs_raw_mongo": pipeline["ratios"]["vs_raw_mongo_batched"],
        "pipeline_vs_raw_mongo_single": pipeline["ratios"]["vs_raw_mongo_single"],
        "pipeline_vs_raw_kafka": pipeline["ratios"]["vs_raw_kafka"],
        "rebuild_events": replayed.get("events"), "rebuild_events_per_s": replayed.get("events_per_second"),
        "api_requests_per_s": api.get("requests_per_s"), "api_p50_s": api.get("p50_s"), "api_p99_s": api.get("p99_s"),
        "api_clients": api.get("clients"),
        "api_open_loop_requests_per_s": (api.get("open_loop") or {}).get("offered_per_s"),
        "api_open_loop_p50_s": (api.get("open_loop") or {}).get("p50_s"),
        "api_open_loop_p99_s": (api.get("open_loop") or {}).get("p99_s"),
        "api_raw_append_per_s": api.get("raw_append_per_s"),
    })
    write("summary", summary)
    if not args.keep:
        await drop_namespace(settings)
    lag_file.unlink(missing_ok=True)
    ready.unlink(missing_ok=True)
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--step-seconds", type=int, default=STEP_SECONDS)
    parser.add_argument("--max-steps", type=int, default=5)
    parser.add_argument("--baseline-events", type=int, default=20000)
    parser.add_argument("--rebuild-events", type=int, default=1_000_000)
    parser.add_argument("--api-seconds", type=int, default=20)
    parser.add_argument("--api-clients", type=int, default=50)
    parser.add_argument("--api-one-process", action="store_true",
                        help="routes, relay and projections in one process (default: consumers in a second one)")
    parser.add_argument("--keep", action="store_true", help="keep the bench namespace's data afterwards")
    result = asyncio.run(main(parser.parse_args()))
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=2))
