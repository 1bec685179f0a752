"""Measure what sizes the cluster: the bytes of real event and access-log records and how well zstd shrinks them.

Reads the events and access-log topics of one namespace on a running Kafka (the local stack, after `make test`
or a benchmark left data there), and compresses each sampled record on its own with the `zstd` command (level 3,
Kafka's default) — a Kafka batch holding one record, which is what a quiet relay sends — and the first 50 records
together, for comparison (a batch at catch-up, or a WiredTiger page). docs/DEPLOYMENT.md quotes the result:

    .venv/bin/python deploy/k8s/sizing/measure_records.py <namespace> [--bootstrap 127.0.0.1:9092]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

KINDS = ("address", "person", "house", "unit", "ingest", "audit", "access")
BATCH_OVERHEAD = 61 + 10  #: a record batch's header and one record's framing, bytes (Kafka's v2 format)


def zstd(data: bytes) -> int:
    return len(subprocess.run(["zstd", "-3", "-q", "-c"], input=data, capture_output=True, check=True).stdout)


async def records(bootstrap: str, topic: str, limit: int) -> list[bytes]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    partitions = [TopicPartition(topic, p["partition"]) for p in described[0]["partitions"]]
    if not partitions:
        return []
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        wanted, out = min(limit, sum(ends.values())), []
        while len(out) < wanted and (batch := await consumer.getmany(timeout_ms=2000, max_records=500)):
            out += [(r.key or b"") + (r.value or b"") + b"".join(k.encode() + (v or b"") for k, v in r.headers)
                    for rs in batch.values() for r in rs]
        return out[:wanted]
    finally:
        await consumer.stop()


async def measure(bootstrap: str, namespace: str, limit: int) -> dict:
    result = {}
    for kind in KINDS:
        sample = await records(bootstrap, f"{namespace}.{kind}.events", limit)
        if not sample:
            continue
        sizes = [len(raw) for raw in sample]
        single = sum(sizes) / sum(zstd(raw) for raw in sample)
        in_batch = (sum(sizes) + BATCH_OVERHEAD * len(sizes)) / sum(zstd(raw) + BATCH_OVERHEAD for raw in sample)
        result[kind] = {"records": len(sample), "mean_bytes": round(statistics.mean(sizes)),
                        "median_bytes": statistics.median(sizes), "zstd_one_record": round(single, 2),
                        "zstd_one_record_batch": round(in_batch, 2),
                        "zstd_50_records": round(sum(sizes[:50]) / zstd(b"".join(sample[:50])), 2)}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("namespace")
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--limit", type=int, default=2000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.bootstrap, args.namespace, args.limit)), indent=1))


if __name__ == "__main__":
    main()
