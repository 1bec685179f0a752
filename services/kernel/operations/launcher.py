"""Start and stop every service as child processes (``make run``), logs and pids under the state dir."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from contracts.contexts import CONTEXTS

SERVICES = {context.name: context.port for context in CONTEXTS}
CLI = [sys.executable, "-m", "services.kernel.operations.cli"]
#: processes without an HTTP port that ``make run`` starts beside the services: the provincial exchange's mapper
#: (docs/EXCHANGE.md), when the stack runs the exchange (YBSS_STACK_EXCHANGE=0 leaves it out, as ``make up`` does)
WORKERS = {"exchange": [*CLI, "exchange", "run"]}


def _workers() -> dict[str, list[str]]:
    return WORKERS if os.environ.get("YBSS_STACK_EXCHANGE", "1") != "0" else {}


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def run_all(state_dir: Path, stop_stack: bool = False) -> int:
    logs, pids = state_dir / "logs", state_dir / "pids"
    logs.mkdir(parents=True, exist_ok=True)
    pids.mkdir(parents=True, exist_ok=True)
    children: dict[str, subprocess.Popen] = {}
    for name, port in SERVICES.items():
        if _healthy(port):
            print(f"{name}: something already answers on port {port}; not starting a second one")
            continue
        log = open(logs / f"{name}.log", "ab")
        env = {**os.environ, "YBSS_PORT": str(port)}
        child = subprocess.Popen([sys.executable, "-m", f"services.{name}"], stdout=log, stderr=subprocess.STDOUT,
                                 env=env, start_new_session=True)
        (pids / f"{name}.pid").write_text(str(child.pid))
        children[name] = child
    workers = _start_workers(logs, pids)
    deadline = time.monotonic() + 60
    pending = dict(children)
    while pending and time.monotonic() < deadline:
        for name in list(pending):
            if pending[name].poll() is not None:
                print(f"{name}: exited with {pending[name].returncode}; see {logs / (name + '.log')}")
                del pending[name]
            elif _healthy(SERVICES[name]):
                del pending[name]
        time.sleep(0.3)
    print("\nybss is running:")
    for name, port in SERVICES.items():
        state = "up" if _healthy(port) else "NOT answering"
        print(f"  {name:8s} http://127.0.0.1:{port}  (docs /docs, metrics /metrics)  {state}  log {logs / (name + '.log')}")
    for name, child in workers.items():
        state = "running" if child.poll() is None else f"exited with {child.returncode}"
        print(f"  {name:8s} (no port: {' '.join(WORKERS[name][3:])})  {state}  log {logs / (name + '.log')}")
    children.update(workers)
    print("\nCtrl-C (or `make down` from another shell) stops everything.")
    stop = {"now": False}

    def _stop(*_: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        while not stop["now"] and any(child.poll() is None for child in children.values()):
            time.sleep(0.5)
    finally:
        _terminate(children.values())
        for name in children:
            (pids / f"{name}.pid").unlink(missing_ok=True)
        if stop_stack:
            print("stopping the local stack (Kafka, SecantusDB)")
            subprocess.run(["bash", str(Path(__file__).resolve().parents[3] / "deploy/local/stack.sh"), "down"],
                           check=False)
    return 0


def _start_workers(logs: Path, pids: Path) -> dict[str, subprocess.Popen]:
    """The exchange's sink connector registered (idempotent; a failure is said, not fatal) and its mapper started."""
    started: dict[str, subprocess.Popen] = {}
    for name, command in _workers().items():
        log = open(logs / f"{name}.log", "ab")
        registered = subprocess.run([*CLI, "exchange", "connector"], stdout=log, stderr=subprocess.STDOUT, check=False)
        if registered.returncode != 0:
            print(f"{name}: the sink connector was not registered; see {logs / (name + '.log')}")
        child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        (pids / f"{name}.pid").write_text(str(child.pid))
        started[name] = child
    return started


def _terminate(children) -> None:
    children = [child for child in children if child.poll() is None]
    for child in children:
        child.terminate()
    deadline = time.monotonic() + 15
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()


def stop_all(state_dir: Path) -> int:
    stopped = 0
    for pid_file in (state_dir / "pids").glob("*.pid") if (state_dir / "pids").exists() else []:
        if pid_file.stem not in SERVICES and pid_file.stem not in WORKERS:
            continue
        pid = int(pid_file.read_text())
        try:
            os.kill(pid, signal.SIGTERM)
            stopped += 1
            for _ in range(50):
                os.kill(pid, 0)
                time.sleep(0.2)
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        pid_file.unlink(missing_ok=True)
    print(f"stopped {stopped} service(s)")
    return 0


def status_all(state_dir: Path) -> int:
    """One line per service: answering or not, with its pid when `ybss run` started it."""
    for name, port in SERVICES.items():
        pid_file = state_dir / "pids" / f"{name}.pid"
        pid = pid_file.read_text().strip() if pid_file.exists() else "-"
        state = "running" if _healthy(port) else "not running"
        print(f"[services] {name:8s} {state:12s} port {port}  pid {pid}")
    return 0
