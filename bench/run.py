"""``make bench``: end-to-end event throughput beside the raw speed of the same broker and database.

Three measurements, each repeated (median reported), in one run on one machine:
- raw MongoDB: concurrent single-document inserts (what an append costs at the bottom);
- raw Kafka: produce with acks=all and consume the same messages back;
- pipeline: append through the event store, outbox relay to Kafka, projection runner into a read model
  (one transaction per event), timed from the first append until the read model has applied every event.
The ratios say how much of the raw capacity the event-sourcing guarantees keep.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("YBSS_NAMESPACE", f"bench{uuid.uuid4().hex[:8]}")
os.environ.setdefault("YBSS_LOG_LEVEL", "WARNING")

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer  # noqa: E402

from contracts.envelope import Actor, EventEnvelope  # noqa: E402
from services.kernel.logging import configure_logging  # noqa: E402
from services.kernel.namespaces import drop_namespace  # noqa: E402
from services.kernel.projection import Projection, ProjectionTx  # noqa: E402
from services.kernel.runtime import Runtime, mongo_client  # noqa: E402
from services.kernel.settings import get_settings  # noqa: E402
from services.kernel.topics import ensure_topics  # noqa: E402

ACTOR = Actor(id="bench", role="admin", organisation_code="532503")
CONCURRENCY = 16

ledger = Projection("bench-ledger", sources=["bench"], collections=["ledger"])


@ledger.handles("BenchRecorded")
async def recorded(tx: ProjectionTx) -> None:
    await tx.collection("ledger").update_one(
        {"_id": tx.envelope.stream_id}, {"$set": {"last": tx.envelope.version}}, upsert=True, session=tx.session
    )


async def in_parallel(count: int, action) -> None:
    queue = iter(range(count))

    async def worker():
        for n in queue:
            await action(n)

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


async def raw_mongo(settings, n: int) -> float:
    client = mongo_client(settings)
    collection = client[f"{settings.namespace}_raw"][f"docs_{uuid.uuid4().hex[:6]}"]
    started = time.perf_counter()
    await in_parallel(n, lambda i: collection.insert_one({"_id": i, "payload": {"n": i, "name": "天马路18号"}}))
    elapsed = time.perf_counter() - started
    await client.close()
    return n / elapsed


async def raw_kafka(settings, n: int) -> float:
    topic = f"{settings.namespace}.raw"
    await ensure_topics(settings, [topic])
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all",
                                enable_idempotence=True, linger_ms=5)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap_servers,
                                auto_offset_reset="latest", group_id=None)
    await producer.start()
    await consumer.start()
    await asyncio.sleep(1)  # let the consumer take its position before we produce
    body = EventEnvelope(event_type="Raw", stream_id="s", stream_type="Raw", version=1, actor=ACTOR,
                         correlation_id="bench").to_bytes()
    started = time.perf_counter()
    futures = [await producer.send(topic, value=body, key=str(i % 64).encode()) for i in range(n)]
    await asyncio.gather(*futures)
    received = 0
    while received < n:
        for records in (await consumer.getmany(timeout_ms=1000)).values():
            received += len(records)
    elapsed = time.perf_counter() - started
    await producer.stop()
    await consumer.stop()
    return n / elapsed


async def pipeline(settings, n: int) -> float:
    runtime = Runtime(settings, "bench", [ledger])
    await runtime.start()
    streams = 64
    per_stream = n // streams
    stream_ids = [f"bench-{uuid.uuid4().hex[:8]}-{s}" for s in range(streams)]
    runner = runtime.runners[ledger.name]
    await asyncio.sleep(2)  # consumer group join

    async def append(i: int) -> None:
        stream = stream_ids[i]
        for version in range(1, per_stream + 1):
            await runtime.store.append(stream, version - 1, [EventEnvelope(
                event_type="BenchRecorded", stream_id=stream, stream_type="Bench", version=version,
                actor=ACTOR, correlation_id="bench", payload={"v": version})])

    started = time.perf_counter()
    await in_parallel(streams, append)
    done = runtime.read_model(ledger.name, "ledger")
    while await done.count_documents({"last": per_stream}) < streams:
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - started
    await runtime.stop()
    return streams * per_stream / elapsed


async def main(repeats: int, n: int) -> dict:
    settings = get_settings()
    configure_logging("WARNING", service="bench")
    results: dict[str, list[float]] = {"raw_mongo_inserts_per_s": [], "raw_kafka_msgs_per_s": [],
                                       "pipeline_events_per_s": []}
    for _ in range(repeats):  # interleaved so machine noise hits all three alike
        results["raw_mongo_inserts_per_s"].append(await raw_mongo(settings, n))
        results["raw_kafka_msgs_per_s"].append(await raw_kafka(settings, n))
        results["pipeline_events_per_s"].append(await pipeline(settings, n))
    medians = {name: statistics.median(values) for name, values in results.items()}
    report = {
        "events_per_run": n, "repeats": repeats, "concurrency": CONCURRENCY,
        "runs": {name: [round(v, 1) for v in values] for name, values in results.items()},
        "medians": {name: round(v, 1) for name, v in medians.items()},
        "ratios": {
            "pipeline_vs_raw_mongo": round(medians["pipeline_events_per_s"] / medians["raw_mongo_inserts_per_s"], 3),
            "pipeline_vs_raw_kafka": round(medians["pipeline_events_per_s"] / medians["raw_kafka_msgs_per_s"], 3),
        },
    }
    await drop_namespace(settings)
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--events", type=int, default=2048)
    args = parser.parse_args()
    report = asyncio.run(main(args.repeats, args.events))
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "pipeline.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
