"""Kill the address service with SIGKILL while it relays and projects; after a restart nothing is lost."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from services.kernel.web.auth import mint_token
from tests.e2e.test_service_process import free_port

pytestmark = pytest.mark.integration
PLATES = 60


def start(port: int, settings, log) -> subprocess.Popen:
    env = {**os.environ, "YBSS_PORT": str(port), "YBSS_NAMESPACE": settings.namespace}
    process = subprocess.Popen([sys.executable, "-m", "services.address"], stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    pytest.fail("address service did not become ready")


def test_sigkill_mid_stream_then_restart_loses_no_accepted_write(tmp_path, e2e_settings):
    settings = e2e_settings
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": "Bearer " + mint_token("PC-5", "police", "532503", settings)}
    road = "".join(chr(random.randint(0x4E00, 0x9FA5)) for _ in range(4)) + "路"
    accepted: list[dict] = []
    with open(tmp_path / "address.log", "wb") as log:
        process = start(port, settings, log)

        def register(number: int):
            try:
                response = httpx.post(f"{base}/v1/doorplates", headers=headers, timeout=10, json={
                    "division_code": "532503001", "road_name": road, "number": str(number)})
                return response.json() if response.status_code == 201 else None
            except httpx.HTTPError:
                return None  # in flight when the process died: not accepted, so not owed

        with ThreadPoolExecutor(max_workers=6) as pool:
            futures = [pool.submit(register, n) for n in range(1, PLATES + 1)]
            deadline = time.monotonic() + 30
            while sum(future.done() for future in futures) < 10 and time.monotonic() < deadline:
                time.sleep(0.01)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            accepted = [result for result in (future.result() for future in futures) if result]
        assert accepted, "some writes were accepted before the kill"

        process = start(port, settings, log)
        try:
            for plate in accepted:
                response = httpx.get(f"{base}/v1/doorplates/{plate['code']}", headers=headers, timeout=40,
                                     params={"min_version": plate["version"]})
                assert response.status_code == 200, f"accepted plate {plate['code']} lost: {response.text}"
            listing = httpx.get(f"{base}/v1/doorplates", headers=headers, params={"road_name": road, "limit": 1000},
                                timeout=10).json()
            assert {item["code"] for item in listing["items"]} >= {plate["code"] for plate in accepted}
        finally:
            process.terminate()
            process.wait(timeout=20)
