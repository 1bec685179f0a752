"""Building generation (生成层户) at the issue's size: 20 units × 150 floors × 20 rooms = 60,000 rooms.

Reports, median of N runs: pure generation of the room list, room-code computation, and end to end
(the HTTP command until every room is in the read model, through the event store, Kafka and the
projection), beside the raw time to insert the same 60,000 documents into the same database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("YBSS_NAMESPACE", f"bench{uuid.uuid4().hex[:8]}")
os.environ.setdefault("YBSS_LOG_LEVEL", "WARNING")

import httpx  # noqa: E402
from asgi_lifespan import LifespanManager  # noqa: E402

from services.address.app import build_app  # noqa: E402
from services.address.domain.buildings import BuildingSpec, generate_rooms  # noqa: E402
from services.address.domain.codes import address_code  # noqa: E402
from services.address.projections import room_codes  # noqa: E402
from services.kernel.auth import mint_token  # noqa: E402
from services.kernel.namespaces import drop_namespace  # noqa: E402
from services.kernel.runtime import mongo_client  # noqa: E402
from services.kernel.settings import get_settings  # noqa: E402

SPEC = {"units": 20, "floors": 150, "rooms_per_floor": 20}
PLATE = address_code("532503001", 50, "1号")


async def end_to_end(client, headers) -> float:
    road = "".join(chr(random.randint(0x4E00, 0x9FA5)) for _ in range(4)) + "路"
    plate = (await client.post("/v1/doorplates", json={"division_code": "532503001", "road_name": road, "number": "1"},
                               headers=headers)).json()
    started = time.perf_counter()
    accepted = (await client.post(f"/v1/doorplates/{plate['code']}/buildings", json=SPEC, headers=headers)).json()
    response = await client.get(f"/v1/doorplates/{plate['code']}",
                                params={"min_version": accepted["version"]}, headers=headers)
    while response.status_code == 503:
        response = await client.get(f"/v1/doorplates/{plate['code']}",
                                    params={"min_version": accepted["version"]}, headers=headers)
    elapsed = time.perf_counter() - started
    rooms = (await client.get(f"/v1/doorplates/{plate['code']}/rooms", params={"limit": 1}, headers=headers)).json()
    assert rooms["total"] == 60_000, rooms["total"]
    return elapsed


async def raw_insert(settings) -> float:
    client = mongo_client(settings)
    collection = client[f"{settings.namespace}_raw"][f"rooms_{uuid.uuid4().hex[:6]}"]
    documents = [{"_id": f"{n:024d}", "label": f"{n}室", "unit": n % 20, "floor": n % 150} for n in range(60_000)]
    started = time.perf_counter()
    for start in range(0, len(documents), 5000):
        await collection.insert_many(documents[start:start + 5000], ordered=False)
    elapsed = time.perf_counter() - started
    await client.drop_database(f"{settings.namespace}_raw")
    await client.close()
    return elapsed


async def main(repeats: int) -> dict:
    settings = get_settings()
    generation, coding, e2e, raw = [], [], [], []
    app = build_app()
    headers = {"Authorization": "Bearer " + mint_token("bench", "admin", "532503")}
    async with LifespanManager(app, startup_timeout=60) as manager:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://a",
                                     timeout=300) as client:
            for _ in range(repeats):
                started = time.perf_counter()
                rooms = generate_rooms(BuildingSpec(**SPEC))
                generation.append(time.perf_counter() - started)
                started = time.perf_counter()
                room_codes(PLATE, 1, [room.label for room in rooms])
                coding.append(time.perf_counter() - started)
                raw.append(await raw_insert(settings))
                e2e.append(await end_to_end(client, headers))
    await drop_namespace(settings)
    med = {name: round(statistics.median(values), 3) for name, values in
           (("generate_s", generation), ("codes_s", coding), ("raw_insert_60k_s", raw), ("end_to_end_s", e2e))}
    return {"rooms": 60_000, "repeats": repeats, "medians": med,
            "ratio_end_to_end_vs_raw_insert": round(med["end_to_end_s"] / med["raw_insert_60k_s"], 2)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    report = asyncio.run(main(parser.parse_args().repeats))
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "buildings.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
