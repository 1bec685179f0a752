"""Command API benchmark: door-plate registrations against a real uvicorn process (not in-process ASGI).

``clients`` concurrent clients, each on its own road, register door plates back to back for ``seconds``;
reports requests/s and latency p50/p99 of the successful ones, beside the raw append rate of the event store
(the same number of concurrent writers appending one event each, no HTTP, no domain rules).
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import httpx

from bench import common
from services.kernel.web.auth import mint_token
from services.kernel.eventsourcing.eventstore import EventStore
from services.kernel.messaging.runtime import mongo_client

PORT = 18001
OPEN_LOOP_SECONDS = 10


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def road_name() -> str:
    return "".join(chr(random.randint(0x4E00, 0x9FA5)) for _ in range(4)) + "路"


async def raw_append_rate(settings, clients: int, seconds: float) -> float:
    client = mongo_client(settings)
    store = EventStore(client, client[settings.database_name("benchappend")])
    await store.ensure_indexes()
    run = common.run_id()
    count = 0
    deadline = time.perf_counter() + seconds

    async def writer(index: int) -> None:
        nonlocal count
        version = 0
        while time.perf_counter() < deadline:
            version += 1
            await store.append(f"plate-{run}-{index}", version - 1, [common.envelope(index, version, run)])
            count += 1

    started = time.perf_counter()
    await asyncio.gather(*(writer(i) for i in range(clients)))
    rate = count / (time.perf_counter() - started)
    await client.drop_database(settings.database_name("benchappend"))
    await client.close()
    return rate


async def measure_api(settings, seconds: int, clients: int, port: int = PORT, separate: bool = True) -> dict:
    env = {**os.environ, "YBSS_PORT": str(port), "YBSS_NAMESPACE": settings.namespace, "YBSS_LOG_LEVEL": "WARNING"}
    log = open(f"/tmp/ybss-bench-api-{settings.namespace}.log", "w")
    root = Path(__file__).resolve().parents[1]
    consumers = None
    if separate:  # the API process serves routes and the relay; a second process applies the projections
        env["YBSS_PROJECTION_CONSUMERS"] = "separate"
        consumers = subprocess.Popen([sys.executable, "-m", "services.kernel.operations.cli", "consume", "--context", "address"],
                                     env={k: v for k, v in env.items() if k != "YBSS_PROJECTION_CONSUMERS"},
                                     stdout=log, stderr=subprocess.STDOUT, cwd=root)
    server = subprocess.Popen([sys.executable, "-m", "services.address"], env=env, stdout=log, stderr=subprocess.STDOUT,
                              cwd=root)
    try:
        for _ in range(600):
            if _healthy(port) or server.poll() is not None:
                break
            await asyncio.sleep(0.1)
        if not _healthy(port):
            return {"error": "the address service did not become ready", "exit_code": server.poll()}
        headers = {"Authorization": "Bearer " + mint_token("PC-BENCH", "police", "532503", settings)}
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers, limits=limits,
                                     timeout=30) as http:
            async def register(road: str, number: int) -> int | str:
                try:
                    response = await http.post("/v1/doorplates", json={
                        "division_code": "532503001", "road_name": road, "number": str(number)})
                except httpx.TransportError as error:  # counted, not fatal: e.g. a keep-alive closed by the server
                    return type(error).__name__
                return response.status_code

            async def client_loop(warmup: bool, deadline: float) -> None:
                road, number = road_name(), 1
                while time.perf_counter() < deadline:
                    started = time.perf_counter()
                    status = await register(road, number)
                    elapsed = time.perf_counter() - started
                    number += 2  # odd side: the city's default numbering rule
                    if not warmup:
                        statuses[status] = statuses.get(status, 0) + 1
                        if status == 201:
                            latencies.append(elapsed)

            await asyncio.gather(*(client_loop(True, time.perf_counter() + 3) for _ in range(clients)))
            started = time.perf_counter()
            await asyncio.gather(*(client_loop(False, started + seconds) for _ in range(clients)))
            elapsed = time.perf_counter() - started
            closed_rate = len(latencies) / elapsed
            # Open loop at half the closed-loop rate: the latency a client sees when the server is not saturated.
            open_latencies: list[float] = []
            open_statuses: dict = {}
            open_rate = max(1.0, round(closed_rate / 2))
            roads = [road_name() for _ in range(clients)]
            numbers = [1] * clients

            async def one(index: int) -> None:
                number = numbers[index]
                numbers[index] += 2
                begun = time.perf_counter()
                status = await register(roads[index], number)
                open_statuses[status] = open_statuses.get(status, 0) + 1
                if status == 201:
                    open_latencies.append(time.perf_counter() - begun)

            tasks = []
            open_started = time.perf_counter()
            for n in range(int(open_rate * OPEN_LOOP_SECONDS)):
                await asyncio.sleep(max(0.0, open_started + n / open_rate - time.perf_counter()))
                tasks.append(asyncio.create_task(one(n % clients)))
            await asyncio.gather(*tasks)
        raw = await raw_append_rate(settings, clients, 5)
        return {
            "clients": clients, "seconds": round(elapsed, 1), "statuses": statuses,
            "requests_per_s": round(len(latencies) / elapsed, 1),
            "p50_s": common.percentile(latencies, 0.5), "p99_s": common.percentile(latencies, 0.99),
            "max_s": max(latencies) if latencies else None, "raw_append_per_s": round(raw, 1),
            "open_loop": {"offered_per_s": open_rate, "seconds": OPEN_LOOP_SECONDS, "completed": len(open_latencies),
                          "statuses": open_statuses,
                          "p50_s": common.percentile(open_latencies, 0.5),
                          "p99_s": common.percentile(open_latencies, 0.99)},
            "server": ("uvicorn (routes + outbox relay) and `ybss consume` (projections) in two processes" if separate
                       else "uvicorn, one process: routes, outbox relay and projection consumers on one event loop"),
        }
    finally:
        for process in (server, consumers):
            if process is None:
                continue
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()
