"""What the benchmarks share: the bench read model, event shapes, percentiles and the machine's facts."""

from __future__ import annotations

import asyncio
import os
import platform
import subprocess
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from contracts.envelope import Actor, EventEnvelope
from contracts.events import DomainEvent
from services.kernel.messaging.projection import Projection, ProjectionTx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
CONTEXT = "bench"
ACTOR = Actor(id="bench", role="admin", organisation_code="532503")


class DoorplateBenchRecorded(DomainEvent):
    """A bench-only fact shaped like a door-plate registration (same envelope and payload sizes)."""

    model_config = {"extra": "allow", "frozen": True}


ledger = Projection("bench-ledger", sources=[CONTEXT], collections=["plates"])
ledger.index("plates", [("road", 1), ("number", 1)])

#: Set by the consumer process: per task, the recorded_at of each event applied in the running batch.
LAG_SINK: dict | None = None


@ledger.handles(DoorplateBenchRecorded)
async def recorded(tx: ProjectionTx) -> None:
    """The same kind of write as the door-plate projection: one upserted document per stream, indexed by road."""
    payload = tx.envelope.payload
    await tx.collection("plates").update_one({"_id": tx.envelope.stream_id}, {"$set": {
        "code": payload["code"], "road": payload["road"], "number": payload["number"], "name": payload["name"],
        "division_code": payload["division_code"], "_version": tx.envelope.version,
    }}, upsert=True, session=tx.session)
    if LAG_SINK is not None:
        LAG_SINK.setdefault(asyncio.current_task(), []).append(tx.envelope.recorded_at)


def payload(stream_index: int, version: int) -> dict:
    road = f"天马路{stream_index % 500}"
    return {"code": f"{532503001:09d}14{stream_index:012d}{version % 10}", "road": road, "number": f"{version}号",
            "division_code": "532503001", "name": f"云南省红河哈尼族彝族自治州蒙自市文澜街道{road}{version}号",
            "source": "bench"}


def envelope(stream_index: int, version: int, run: str) -> EventEnvelope:
    return EventEnvelope(event_type="DoorplateBenchRecorded", stream_id=f"plate-{run}-{stream_index}",
                         stream_type="Doorplate", version=version, actor=ACTOR, correlation_id=f"bench-{run}",
                         payload=payload(stream_index, version))


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def machine() -> dict:
    """The facts a reader needs to compare runs: cores, memory, load, versions."""
    facts = {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
             "load_average_at_start": os.getloadavg(), "when": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    try:
        facts["memory_gb"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
        facts["cpu_model"] = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                                  if line.startswith("model name"))
    except (OSError, StopIteration, ValueError):
        pass
    try:
        facts["git_commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                             text=True, timeout=5).stdout.strip()
    except OSError:
        pass
    facts["kafka"] = "Apache Kafka 4.4 (local stack, 1 broker, 6 partitions per topic)"
    facts["database"] = "SecantusDB (MongoDB wire protocol, replica set secantus)"
    return facts


def baseline_tree(revision: str, *copied: str) -> Path:
    """``revision``'s tree in a scratch directory (the code a bench compares with), with ``copied`` (paths in this
    repository: the bench itself, the streams it builds) copied in from the working tree."""
    import shutil
    import tempfile

    where = Path(tempfile.mkdtemp(prefix="ybss-baseline-"))
    archive = subprocess.run(["git", "archive", revision], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(where)], input=archive, check=True)
    for path in copied:
        shutil.copy(ROOT / path, where / path)
    return where


def run_id() -> str:
    return uuid.uuid4().hex[:6]


class Clock:
    """Wall-clock seconds, comparable between the bench's processes."""

    now = staticmethod(time.time)
