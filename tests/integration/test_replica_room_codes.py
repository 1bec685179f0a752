"""人地关联, one rule: the address replica every registry checks references with knows a room only as the address
registry published it — a generated room inside a building of an in-use door plate — never a made-up 24-digit
户室 code, even in a township whose door plates have generated buildings (the interim rule accepted those)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from contracts.address_codes import room_code
from contracts.buildings import BuildingSpec, iter_rooms
from services.kernel.base.errors import DomainRuleViolation
from services.replicas.address import address_replica, lookup_address, require_usable_address
from services.kernel.messaging.runtime import Runtime
from tests.integration.address_helpers import TOWNSHIP, register_doorplate
from tests.integration.conftest import unique_name

pytestmark = pytest.mark.integration


@pytest.fixture
async def replica(settings):
    projection = address_replica(f"test-rooms-{uuid.uuid4().hex[:6]}")
    runtime = Runtime(settings, "roomtest", [projection])
    await runtime.start()
    yield runtime.read_model(projection.name, projection.name)
    await runtime.stop()


async def test_a_made_up_room_code_is_unknown_and_a_generated_room_is_known(address_client, police_headers, replica):
    plate = await register_doorplate(address_client, police_headers, unique_name(), "8")
    generated = await address_client.post(f"/v1/doorplates/{plate['code']}/buildings", headers=police_headers,
                                          json={"building": "1栋", "units": 1, "floors": 3, "rooms_per_floor": 2})
    assert generated.status_code == 201, generated.text
    room = room_code(plate["code"], 1, next(iter_rooms(BuildingSpec(units=1, floors=3, rooms_per_floor=2))))
    deadline = asyncio.get_running_loop().time() + 60
    while (known := await lookup_address(replica, room)) is None and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.2)
    assert known is not None and known.kind == "room" and known.usable

    made_up = f"{TOWNSHIP}62{uuid.uuid4().int % 10**13:013d}"
    assert await lookup_address(replica, made_up) is None
    with pytest.raises(DomainRuleViolation) as refused:
        await require_usable_address(replica, made_up, field="address_code")
    assert refused.value.field == "address_code"
