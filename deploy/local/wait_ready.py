"""Wait until the local Kafka broker and MongoDB-compatible server answer.

Run by stack.sh with the stack's tool venv (pymongo + aiokafka pinned like
pyproject.toml). Kafka is ready when a metadata request lists a broker;
Mongo is ready when `ping` answers and `hello` reports a writable primary of
replica set 'secantus'. Exits 0 when both are ready, 1 on timeout or when a
watched process (--pid name=pidfile) died.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time

from aiokafka import AIOKafkaClient
from pymongo import MongoClient


def pid_alive(pidfile: str) -> bool:
    try:
        with open(pidfile) as fh:
            pid = int(fh.read().strip())
        os.kill(pid, 0)
        return True
    except (OSError, ValueError):
        return False


async def kafka_ready(bootstrap: str) -> str | None:
    client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=3000,
                            connections_max_idle_ms=10000)
    try:
        await asyncio.wait_for(client.bootstrap(), 5)
        metadata = await asyncio.wait_for(client.fetch_all_metadata(), 5)
        brokers = metadata.brokers()
        if not brokers:
            return None
        return ", ".join(f"broker {b.nodeId} at {b.host}:{b.port}" for b in brokers)
    finally:
        await client.close()


def mongo_ready(uri: str) -> str | None:
    with MongoClient(uri, serverSelectionTimeoutMS=2000, connectTimeoutMS=2000) as client:
        client.admin.command("ping")
        hello = client.admin.command("hello")
        if not hello.get("isWritablePrimary"):
            return None
        return f"primary of replica set {hello.get('setName')!r}"


async def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kafka", required=True)
    ap.add_argument("--mongo", required=True)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--pid", action="append", default=[], help="name=pidfile to watch")
    args = ap.parse_args()
    logging.basicConfig(level=logging.CRITICAL)  # aiokafka logs every refused connection

    watched = dict(p.split("=", 1) for p in args.pid)
    deadline = time.monotonic() + args.timeout
    pending = {"kafka", "mongo"}
    last_err: dict[str, str] = {}
    while pending:
        for name, pidfile in watched.items():
            if name in pending and not pid_alive(pidfile):
                print(f"[stack] ERROR: {name} process exited during startup", file=sys.stderr)
                return 1
        if "kafka" in pending:
            try:
                info = await kafka_ready(args.kafka)
                if info:
                    print(f"[stack] kafka: ready ({info})")
                    pending.discard("kafka")
            except Exception as exc:  # noqa: BLE001 - not up yet
                last_err["kafka"] = f"{type(exc).__name__}: {exc}"
        if "mongo" in pending:
            try:
                info = mongo_ready(args.mongo)
                if info:
                    print(f"[stack] mongo: ready ({info})")
                    pending.discard("mongo")
            except Exception as exc:  # noqa: BLE001 - not up yet
                last_err["mongo"] = f"{type(exc).__name__}: {exc}"
        if not pending:
            break
        if time.monotonic() > deadline:
            for name in sorted(pending):
                print(f"[stack] ERROR: {name} not ready after {args.timeout:.0f}s: "
                      f"{last_err.get(name, 'no answer')}", file=sys.stderr)
            return 1
        await asyncio.sleep(0.5)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
