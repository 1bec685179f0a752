"""Worklist export at township size (issue 17): the whole list of 100,000 records as CSV and xlsx.

In a fresh namespace on the real MongoDB-compatible server, ``--rows`` (default 100,000) synthetic person records
of one township are written to a collection, and then, in this process:

1. **csv** — services.kernel.web.exports.export of a one-segment worklist (the deadlines list's shape: the record in
   its public shape), masked for a collector as the route does, the streamed body written to a file;
2. **xlsx** — the same through XlsxWriter in constant_memory mode, the file streamed back;
3. **pages** — every page of 1,000 followed by its cursor (keyset: the last page costs what the first does);
4. **raw baseline** — a plain cursor over the same filter writing the same columns with csv.writer, no
   worklist, no masking: what reading and writing the rows costs by itself.

For each: seconds, rows/s and the process's peak RSS during that phase (VmHWM, reset between phases through
/proc/self/clear_refs; where the kernel refuses, the peak since start). Ratios to the raw baseline are reported.
A smaller run (``--rows`` / 5) is measured first so the peak memory at two sizes shows whether it is bounded.
Writes bench/results/worklist_export.json.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("YBSS_NAMESPACE", f"bench{uuid.uuid4().hex[:8]}")
os.environ.setdefault("YBSS_LOG_LEVEL", "WARNING")
os.environ.setdefault("YBSS_ENVIRONMENT", "local")

from bench.common import machine  # noqa: E402
from services.kernel.web.exports import export  # noqa: E402
from services.kernel.base.masking import Viewer  # noqa: E402
from services.kernel.operations.namespaces import drop_namespace  # noqa: E402
from services.kernel.web.paging import Segment, Worklist, one_each  # noqa: E402
from services.kernel.web.reads import public  # noqa: E402
from services.kernel.messaging.runtime import mongo_client  # noqa: E402
from services.kernel.base.settings import get_settings  # noqa: E402

RESULTS = ROOT / "bench" / "results"
TOWNSHIP = "532503001"
COLLECTOR = Viewer(role="collector", covers=lambda division: division.startswith(TOWNSHIP))
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


def person(n: int) -> dict:
    rng = random.Random(n)
    return {"_id": f"P-{n:08d}", "division_code": TOWNSHIP, "category": rng.choice(["registered", "migrant"]),
            "status": "active", "name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            "document_type": "resident_id", "document_number": f"532503{1950 + n % 60}0101{n % 1000:03d}X",
            "phone": f"+86138{n:08d}", "current_address_code": f"{TOWNSHIP}{n:015d}",
            "deadline": {"registration_valid_until": f"2026-{1 + n % 12:02d}-15", "registered_late": n % 7 == 0},
            "_version": 1 + n % 5}


def peak_reset() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def peak_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


async def phase(name: str, work) -> dict:
    reset = peak_reset()
    started = time.perf_counter()
    rows, size = await work()
    seconds = time.perf_counter() - started
    figure = {"seconds": round(seconds, 2), "rows": rows, "rows_per_s": round(rows / seconds), "bytes": size,
              "peak_rss_mb": peak_mb(), "peak_is_since_start": not reset}
    print(f"  {name:6} {figure}", flush=True)
    return figure


async def measure(collection, rows: int, out: Path) -> dict:
    query = {"division_code": TOWNSHIP, "_id": {"$lt": f"P-{rows:08d}"}}
    worklist = Worklist.of(Segment(collection, query, one_each(lambda document: public(document, "person_id"))))

    async def exported(fmt: str):
        response = await export(worklist, fmt, COLLECTOR, "bench")
        size = 0
        with open(out / f"bench.{fmt}", "wb") as sink:
            async for chunk in response.body_iterator:
                size += len(chunk)
                sink.write(chunk)
        if response.background is not None:
            await response.background()
        return rows, size

    async def paged():
        cursor, seen = None, 0
        while True:
            page = await worklist.page(cursor, 1000)
            seen += len(page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                assert seen == page["total"] == rows, (seen, page["total"], rows)
                return seen, 0

    async def raw():
        names = ["person_id", "division_code", "category", "status", "name", "document_type", "document_number",
                 "phone", "current_address_code", "deadline.registration_valid_until", "deadline.registered_late",
                 "version"]
        size = 0
        with open(out / "raw.csv", "w", newline="", encoding="utf-8-sig") as sink:
            writer = csv.writer(sink)
            writer.writerow(names)
            async for d in collection.find(query).sort("_id", 1).batch_size(1000):
                writer.writerow([d["_id"], d["division_code"], d["category"], d["status"], d["name"],
                                 d["document_type"], d["document_number"], d["phone"], d["current_address_code"],
                                 d["deadline"]["registration_valid_until"], d["deadline"]["registered_late"],
                                 d["_version"]])
            size = sink.tell()
        return rows, size

    figures = {"raw": await phase("raw", raw), "csv": await phase("csv", lambda: exported("csv")),
               "xlsx": await phase("xlsx", lambda: exported("xlsx")), "pages": await phase("pages", paged)}
    for name in ("csv", "xlsx", "pages"):
        figures[name]["ratio_to_raw"] = round(figures[name]["seconds"] / figures["raw"]["seconds"], 2)
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    settings = get_settings()
    client = mongo_client(settings)
    collection = client[settings.database_name("bench")]["worklist"]
    out = Path(f"/tmp/ybss-worklist-bench-{uuid.uuid4().hex[:6]}")
    out.mkdir()
    try:
        started = time.perf_counter()
        for begin in range(0, args.rows, 5000):
            await collection.insert_many([person(n) for n in range(begin, min(begin + 5000, args.rows))])
        print(f"{args.rows} records written in {time.perf_counter() - started:.1f} s", flush=True)
        results = {"machine": machine(), "rows": args.rows}
        small = max(1000, args.rows // 5)
        print(f"{small} rows:", flush=True)
        results["small"] = {"rows": small, **await measure(collection, small, out)}
        print(f"{args.rows} rows:", flush=True)
        results["full"] = await measure(collection, args.rows, out)
        results["worklist_export_seconds"] = {"csv": results["full"]["csv"]["seconds"],
                                              "xlsx": results["full"]["xlsx"]["seconds"]}
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "worklist_export.json").write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
        print(json.dumps(results["worklist_export_seconds"]))
    finally:
        for path in out.iterdir():
            path.unlink()
        out.rmdir()
        await client.close()
        await drop_namespace(settings)


if __name__ == "__main__":
    asyncio.run(main())
