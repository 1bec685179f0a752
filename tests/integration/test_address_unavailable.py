"""An unreachable database is not a bug: the service answers 503 with Retry-After naming it, then recovers.

The shared stack's server must stay up for everyone else's tests, so this test starts a SecantusDB server
of its own on another loopback port, points an address service at it, kills it, and starts it again on the
same port and data.
"""

from __future__ import annotations

import asyncio
import glob
import os
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from services.address.app import SPEC
from services.kernel.web.app import create_app
from tests.integration.address_helpers import TOWNSHIP
from tests.integration.conftest import unique_name

REPO = Path(__file__).resolve().parents[2]


def server_binary() -> list[str] | None:
    """The SecantusDB server `make up` uses: the Rust build (or its cache), else the Python server."""
    cache = os.environ.get("YBSS_STACK_CACHE_DIR", str(Path.home() / ".cache" / "ybss-stack"))
    candidates = [str(REPO / "deploy/local/.work/cargo/bin/secantusd-rs"),
                  *sorted(glob.glob(f"{cache}/secantusd-rs-*")), str(REPO / "deploy/local/.work/venv/bin/secantusd-py")]
    for candidate in candidates:
        if os.access(candidate, os.X_OK):
            return [candidate]
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateServer:
    """One SecantusDB process owned by this test (never the shared stack's)."""

    def __init__(self, binary: list[str], data: Path) -> None:
        self.binary, self.data, self.port = binary, data, free_port()
        self.process: subprocess.Popen | None = None
        (data / "secantusd.toml").write_text("")

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?replicaSet=secantus"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [*self.binary, "--config", str(self.data / "secantusd.toml"), "--host", "127.0.0.1", "--port", str(self.port),
             "--storage-path", str(self.data / "db"), "--cache-size", "128M", "--log-level", "WARNING"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"private SecantusDB server did not listen on {self.port}")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def private_server(tmp_path):
    binary = server_binary()
    if binary is None:
        pytest.fail("no SecantusDB server binary found: run `make up` (it builds or fetches one)")
    server = PrivateServer(binary, tmp_path)
    server.start()
    yield server
    server.kill()


async def test_killed_database_answers_503_naming_it_then_the_service_recovers(private_server, settings, police_headers):
    async with asyncio.timeout(150):  # a hang here (seen once under heavy load) fails with a stack, not forever
        await outage_and_recovery(private_server, settings, police_headers)


async def outage_and_recovery(private_server, settings, police_headers):
    # A namespace of its own: in the run's namespace this service's consumers would join the shared consumer
    # groups, take partitions from the session's services and apply their events to the private database.
    app = create_app(SPEC, settings.model_copy(update={"mongodb_uri": private_server.uri,
                                                       "namespace": f"{settings.namespace}_outage"}))
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=120) as manager:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://address") as client:
            road = unique_name()

            async def register(number: str) -> httpx.Response:
                return await client.post("/v1/doorplates", headers=police_headers,
                                         json={"division_code": TOWNSHIP, "road_name": road, "number": number})

            before = await register("1")
            assert before.status_code == 201, before.text

            private_server.kill()
            down = await register("2")
            assert down.status_code == 503, down.text
            assert int(down.headers["Retry-After"]) > 0
            assert down.json()["dependency"] == "mongodb" and "mongodb" in down.json()["detail"]
            ready = await client.get("/readyz")
            assert ready.status_code == 503 and ready.json()["mongodb"] != "ok"

            private_server.start()
            deadline = time.monotonic() + 90  # a claim cut off by the outage is released once stale (30 s)
            while (after := await register("2")).status_code == 503 and time.monotonic() < deadline:
                await asyncio.sleep(0.5)
            assert after.status_code == 201, after.text
            read = await client.get(f"/v1/doorplates/{after.json()['code']}", headers=police_headers,
                                    params={"min_version": after.json()["version"]})
            assert read.status_code == 200 and read.json()["door_number"] == "2号", read.text
