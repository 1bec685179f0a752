"""Building generation (生成层户) at the largest size a collector may describe: 20 units × 150 floors × 999 rooms,
ten basements of 999 rooms and 999 shop fronts (3,007,989 rooms).

Rooms are not stored one by one (services/address/views/rooms.py): the projection keeps the building's
description on its door plate. Reports, median of N runs: the HTTP command until the read model has applied it
(end to end through the event store, Kafka and the projection; it must stay far inside the server's 10 s
transaction lifetime), reading the last page of rooms, and looking one room up by its code.
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
os.environ.setdefault("YBSS_ENVIRONMENT", "local")  # the development keys (services.kernel.base.devkeys)

import httpx  # noqa: E402
from asgi_lifespan import LifespanManager  # noqa: E402

from services.address.app import build_app  # noqa: E402
from services.kernel.web.auth import mint_token  # noqa: E402
from services.kernel.operations.namespaces import drop_namespace  # noqa: E402
from services.kernel.base.settings import get_settings  # noqa: E402

SPEC = {"units": 20, "floors": 150, "rooms_per_floor": 999, "underground_floors": 10,
        "underground_rooms_per_floor": 999, "shop_fronts": 999}
ROOMS = 20 * 150 * 999 + 10 * 999 + 999
UNIT_ROOMS = 150 * 999  # the last page of the last unit (the route caps offset at 1,000,000)


async def timed(call) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = await call()
    return time.perf_counter() - started, response


async def one_building(client, headers) -> dict[str, float]:
    road = "".join(chr(random.randint(0x4E00, 0x9FA5)) for _ in range(4)) + "路"
    plate = (await client.post("/v1/doorplates", json={"division_code": "532503001", "road_name": road, "number": "1"},
                               headers=headers)).json()
    started = time.perf_counter()
    accepted = (await client.post(f"/v1/doorplates/{plate['code']}/buildings", json=SPEC, headers=headers)).json()
    response = await client.get(f"/v1/doorplates/{plate['code']}", params={"min_version": accepted["version"]},
                                headers=headers)
    while response.status_code == 503:
        response = await client.get(f"/v1/doorplates/{plate['code']}", params={"min_version": accepted["version"]},
                                    headers=headers)
    applied = time.perf_counter() - started
    page_s, page = await timed(lambda: client.get(f"/v1/doorplates/{plate['code']}/rooms",
                                                  params={"unit": 20, "offset": UNIT_ROOMS - 500, "limit": 500},
                                                  headers=headers))
    assert page.json()["total"] == UNIT_ROOMS and page.json()["count"] == 500, page.text
    code = page.json()["items"][-1]["code"]
    lookup_s, room = await timed(lambda: client.get(f"/v1/addresses/{code}", headers=headers))
    assert room.status_code == 200, room.text
    return {"command_to_read_model_s": applied, "last_page_of_unit_20_500_s": page_s, "room_by_code_s": lookup_s}


async def main(repeats: int) -> dict:
    settings = get_settings()
    runs: list[dict[str, float]] = []
    app = build_app()
    headers = {"Authorization": "Bearer " + mint_token("bench", "admin", "532503")}
    async with LifespanManager(app, startup_timeout=60) as manager:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://a",
                                     timeout=300) as client:
            for _ in range(repeats):
                runs.append(await one_building(client, headers))
    await drop_namespace(settings)
    medians = {name: round(statistics.median(run[name] for run in runs), 3) for name in runs[0]}
    return {"rooms": ROOMS, "repeats": repeats, "medians": medians, "transaction_lifetime_s": 10}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    report = asyncio.run(main(parser.parse_args().repeats))
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "buildings.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
