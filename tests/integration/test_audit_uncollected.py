"""应采未采 that join two registries, on the real stack: door plates with no house (门牌无房) and houses with no
resident (房内无人) planted in 西北勒乡 (532503204, a township no other test writes to) through the address and house
services and the person topic; the audit's quality figures for the township equal what the house service's sweeps
list for it, before and after gaps are filled.

Every wait polls with a generous deadline: the house service and the audit learn each registry from Kafka.
"""

from __future__ import annotations

import asyncio

import pytest

from contracts.address_codes import room_code
from contracts.buildings import BuildingSpec, iter_rooms
from tests.integration.address_helpers import register_doorplate
from tests.integration.audit_helpers import headers, running_audit
from tests.integration.conftest import unique_name
from tests.integration.test_house_unit_lifecycle import once_known, posted, services  # noqa: F401 - the fixture
from tests.integration.test_sweeps import resident_at  # registered in 观澜街道: a resident counts wherever held

pytestmark = pytest.mark.integration

TOWN = "532503204"  #: 西北勒乡, 蒙自市
DEADLINE = 120.0
SWEEPS = {"uncollected_plates_without_house": "/v1/sweeps/plates-without-house",
          "uncollected_houses_without_residents": "/v1/sweeps/houses-without-residents"}


@pytest.fixture
async def audit():
    manager, client = await running_audit()
    yield client
    await client.aclose()
    await manager.__aexit__(None, None, None)


async def agreeing(audit, house, settings, police_headers, expected: dict[str, int]) -> dict[str, int]:
    """Poll until the township's quality figures, the house service's sweeps and ``expected`` all agree."""
    admin = headers(settings, role="admin", org="53")
    deadline = asyncio.get_running_loop().time() + DEADLINE
    while True:
        quality = await audit.get("/v1/audit/quality", params={"division_code": TOWN}, headers=admin)
        assert quality.status_code == 200, quality.text
        figures = {metric: quality.json()[metric] for metric in SWEEPS}
        county = await audit.get("/v1/audit/quality", params={"division_code": TOWN[:6]}, headers=admin)
        assert county.status_code == 200, county.text
        township = county.json()["by_sub_division"].get(TOWN, {})  # the county's row for the township
        listed = {}
        for metric, path in SWEEPS.items():
            response = await house.get(path, params={"division_code": TOWN, "limit": 1}, headers=police_headers)
            assert response.status_code == 200, response.text
            listed[metric] = response.json()["total"]
        if figures == listed == expected and all(township.get(m) == n for m, n in expected.items()):
            return figures
        assert asyncio.get_running_loop().time() < deadline, f"quality {figures}, sweeps {listed}, planted {expected}"
        await asyncio.sleep(0.5)


async def test_quality_counts_the_plates_without_house_and_houses_without_residents_the_sweeps_list(
        address_client, services, audit, police_headers, settings):
    house, _ = services
    road = unique_name()
    plates = {n: (await register_doorplate(address_client, police_headers, road, n, division_code=TOWN))["code"]
              for n in ("1", "2", "3", "4", "5")}
    spec = {"building": "1栋", "units": 1, "floors": 2, "rooms_per_floor": 2}
    await posted(address_client, f"/v1/doorplates/{plates['4']}/buildings", spec, police_headers, 201)
    room = room_code(plates["4"], 1, next(iter_rooms(BuildingSpec(units=1, floors=2, rooms_per_floor=2))))

    def at(address: str, use: str = "self_occupied") -> dict:
        return {"address_code": address, "property_nature": "private", "use": use, "rooms": 2}

    empty = await once_known(house, "/v1/houses", at(plates["2"]), police_headers, 201)  # 房内无人
    await once_known(house, "/v1/houses", at(plates["3"]), police_headers, 201)
    await resident_at(settings, plates["3"])
    let = await once_known(house, "/v1/houses", at(room, "rented"), police_headers, 201)  # a room fills plate 4
    await posted(house, f"/v1/houses/{let['house_id']}/rentals", {
        "lessor": {"name": "李四"}, "rooms_let": 1, "start": "2026-10-01", "security_person": {"name": "李四"}},
        police_headers, 201)
    gone = await once_known(house, "/v1/houses", at(plates["5"]), police_headers, 201)
    await posted(house, f"/v1/houses/{gone['house_id']}/demolish", {"on": "2026-10-20", "reason": "旧城改造拆除"},
                 police_headers)
    await resident_at(settings, plates["1"])  # someone lives at plate 1, but no house is registered there

    # plates 1 (no house) and 5 (its house demolished); the house at plate 2
    await agreeing(audit, house, settings, police_headers, {"uncollected_plates_without_house": 2,
                                                            "uncollected_houses_without_residents": 1})
    await resident_at(settings, plates["2"])
    await once_known(house, "/v1/houses", at(plates["1"]), police_headers, 201)  # lived in: plate 1's resident
    await agreeing(audit, house, settings, police_headers, {"uncollected_plates_without_house": 1,
                                                            "uncollected_houses_without_residents": 0})
    assert empty["house_id"] != gone["house_id"]
