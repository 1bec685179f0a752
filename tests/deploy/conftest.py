"""The deploy tests install their own tools (deploy/k8s/tools.sh: kustomize, kubernetes-validate; cached in
~/.cache/ybss-tools) and need neither Kafka nor MongoDB."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"


@pytest.fixture(scope="session")
def k8s_tools() -> dict[str, str]:
    installed = subprocess.run(["bash", str(K8S / "tools.sh")], capture_output=True, text=True, timeout=900,
                               env={**os.environ, "PYTHON": sys.executable})
    assert installed.returncode == 0, f"deploy/k8s/tools.sh failed:\n{installed.stderr[-3000:]}"
    tools = dict(line.split("=", 1) for line in installed.stdout.splitlines() if "=" in line)
    if tools["K8S_PYTHONPATH"] not in sys.path:
        sys.path.append(tools["K8S_PYTHONPATH"])  # PyYAML for the wiring checks; the venv's own packages come first
    return tools


@pytest.fixture(scope="session")
def promtool() -> str:
    """Prometheus's promtool, built once per machine (deploy/k8s/tools.sh promtool; minutes the first time)."""
    installed = subprocess.run(["bash", str(K8S / "tools.sh"), "promtool"], capture_output=True, text=True,
                               timeout=PROMTOOL_BUILD_SECONDS)
    assert installed.returncode == 0, f"deploy/k8s/tools.sh promtool failed:\n{installed.stderr[-3000:]}"
    return installed.stdout.strip().split("=", 1)[1]


PROMTOOL_BUILD_SECONDS = 1800  #: a cold `go install` of promtool: ~7 minutes on 2 busy cores, more on slower ones


@pytest.fixture(scope="session")
def run_tool(k8s_tools):
    """Run one of deploy/k8s's scripts with the tools' Python packages (PyYAML, jsonschema, kubernetes-validate)."""
    def run(script: str, *args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "PYTHONPATH": k8s_tools["K8S_PYTHONPATH"]}
        return subprocess.run([sys.executable, str(K8S / script), *args], capture_output=True, text=True,
                              env=env, timeout=300)
    return run


def _render(run_tool, k8s_tools, overlay: str) -> list[dict]:
    result = run_tool("validate.py", "--kustomize", k8s_tools["KUSTOMIZE"], "--dump", overlay)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


@pytest.fixture(scope="session")
def production(run_tool, k8s_tools) -> list[dict]:
    return _render(run_tool, k8s_tools, "production")


@pytest.fixture(scope="session")
def local(run_tool, k8s_tools) -> list[dict]:
    return _render(run_tool, k8s_tools, "local")
