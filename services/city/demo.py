"""``make demo`` (``ybss city demo``): a populated platform in a minute or so.

Uses the services already answering on their ports (``make run`` in another terminal) or starts them in the
background as ``make run`` does (``make down`` stops them), then generates a small town once (kept under
``deploy/local/.work/demo-town``) and loads it; loading is resumable, so running it again adds nothing.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from contracts.contexts import CONTEXTS

DEMO_PERSONS = 2_000
DEMO_SEED = 2017


def answering(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def ensure_services(state_dir: Path, wait_s: float = 120) -> bool:
    """True once every service answers; starts them (``ybss run``, detached) when none does."""
    ports = {context.name: context.port for context in CONTEXTS}
    if all(answering(port) for port in ports.values()):
        return True
    if not any(answering(port) for port in ports.values()):
        (state_dir / "logs").mkdir(parents=True, exist_ok=True)
        log = open(state_dir / "logs" / "demo-run.log", "ab")
        subprocess.Popen([sys.executable, "-m", "services.kernel.operations.cli", "run", "--state-dir", str(state_dir)],
                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        print(f"starting the services in the background (log {state_dir / 'logs' / 'demo-run.log'}; "
              "`make down` stops them)", file=sys.stderr)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        missing = [name for name, port in ports.items() if not answering(port)]
        if not missing:
            return True
        time.sleep(1)
    print(f"not answering after {wait_s:.0f} s: {', '.join(missing)} (see {state_dir / 'logs'})", file=sys.stderr)
    return False


def run_demo(state_dir: Path, persons: int = DEMO_PERSONS, concurrency: int = 16) -> int:
    from services.city.generate import generate
    from services.city.agency_transport import make_transport
    from services.city.load import load

    if not ensure_services(state_dir):
        return 1
    town = state_dir / "demo-town"
    if not (town / "manifest.json").exists():
        manifest = generate(town, persons=persons, seed=DEMO_SEED)
        print(f"generated a town of {persons} persons: {manifest['total']} records in {town}", file=sys.stderr)
    report = asyncio.run(load(town, make_transport(), concurrency))
    figures = json.loads((town / "truth.json").read_text(encoding="utf-8"))["divisions"]["532503"]
    print(json.dumps({"loaded": report.as_dict() | {"rejections": report.rejections[:3]},
                      "town": {k: figures[k] for k in ("persons_total", "houses_total", "houses_rented", "units_total",
                                                       "units_special_trade", "doorplates_total")}},
                     ensure_ascii=False))
    print("\nThe demo town is loaded: try the tour in README.md (\"A short tour\").", file=sys.stderr)
    return 1 if report.rejected else 0
