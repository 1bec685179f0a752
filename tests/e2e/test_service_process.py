"""The address service as a real process under uvicorn: the correlation id travels to the consumer's log."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from services.kernel.web.auth import mint_token

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def address_process(tmp_path: Path, e2e_settings):
    port = free_port()
    log_path = tmp_path / "address.log"
    env = {**os.environ, "YBSS_PORT": str(port), "YBSS_NAMESPACE": e2e_settings.namespace}
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "services.address"], stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("address service did not become ready:\n" + log_path.read_text()[-3000:])
        yield base, log_path
    finally:
        process.terminate()
        process.wait(timeout=20)


def log_lines(path: Path) -> list[dict]:
    lines = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            lines.append(json.loads(raw))
        except json.JSONDecodeError:
            continue
    return lines


def test_correlation_id_from_the_request_appears_on_the_consumer_log_line(address_process, settings):
    base, log_path = address_process
    correlation = f"corr-{uuid.uuid4().hex[:12]}"
    headers = {"Authorization": "Bearer " + mint_token("PC-9", "police", "532503", settings),
               "X-Correlation-ID": correlation}
    response = httpx.post(f"{base}/v1/doorplates", headers=headers, timeout=10,
                          json={"division_code": "532503001", "road_name": "银河路", "number": "7"})
    assert response.status_code == 201, response.text
    assert response.headers["X-Correlation-ID"] == correlation
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        applied = [line for line in log_lines(log_path)
                   if line.get("event") == "event applied" and line.get("correlation_id") == correlation]
        if any(line.get("event_type") == "DoorplateRegistered" for line in applied):
            break
        time.sleep(0.2)
    else:
        pytest.fail("no consumer log line carried the correlation id:\n" + log_path.read_text()[-3000:])
    assert all(line["projection"] == "address-registry" for line in applied)
