"""Issue 18 on the real stack: a house demolished (拆除/灭失) and a unit relocated (迁址), as an officer sees them.

Every wait polls with a generous deadline (a service's replica learns a new door plate or person from Kafka).
"""

from __future__ import annotations

import asyncio
import importlib

import httpx
import pytest
from asgi_lifespan import LifespanManager

from services.house.commands import Demolish
from services.house.occupants import OCCUPANTS
from services.kernel.web.auth import mint_token
from services.unit.commands import Relocate
from services.unit.persons import UNIT_PERSONS
from tests.integration.address_helpers import TOWNSHIP, register_doorplate
from tests.integration.conftest import unique_name
from tests.integration.person_facts import linkable

pytestmark = pytest.mark.integration

ELSEWHERE = "532503002"  #: 雨过铺街道, another township of 蒙自市 (the police token's city covers both)
DEADLINE = 90.0


@pytest.fixture(scope="module")
async def services():
    """The house and unit services in-process on the real Kafka and MongoDB."""
    started = []
    for name in ("house", "unit"):
        app = importlib.import_module(f"services.{name}.app").build_app()
        manager = LifespanManager(app, startup_timeout=60, shutdown_timeout=120)
        await manager.__aenter__()
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url=f"http://{name}")
        client.fastapi = app  # the replicas' waits read its runtime
        started.append((manager, client))
    yield started[0][1], started[1][1]
    for manager, client in started:
        await client.aclose()
        await manager.__aexit__(None, None, None)


def outsider() -> dict:
    """Police of 个旧市, the neighbouring county."""
    return {"Authorization": "Bearer " + mint_token("PC-9", "police", "532502")}


async def once_known(client, path: str, body: dict, headers: dict, expect: int) -> dict:
    """POST until the service's address replica knows the plate (422 on address_code until then)."""
    deadline = asyncio.get_running_loop().time() + DEADLINE
    while True:
        response = await client.post(path, json=body, headers=headers)
        if response.status_code == expect:
            return response.json()
        assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "address_code", response.text
        assert asyncio.get_running_loop().time() < deadline, f"{path} never accepted {body}: {response.text}"
        await asyncio.sleep(0.2)


async def posted(client, path: str, body: dict, headers: dict, expect: int = 200) -> dict:
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == expect, response.text
    return response.json()


async def read(client, path: str, accepted: dict, headers: dict) -> dict:
    response = await client.get(path, params={"min_version": accepted["version"]}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def field_of(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    return [error["loc"][-1] for error in response.json()["detail"]]


async def test_a_demolished_house_ends_its_rental_and_takes_no_new_one(address_client, services, police_headers,
                                                                       settings):
    house, _ = services
    plate = await register_doorplate(address_client, police_headers, unique_name(), "9")
    registered = await once_known(house, "/v1/houses", {"address_code": plate["code"], "property_nature": "private",
                                                        "use": "rented", "rooms": 3}, police_headers, 201)
    base = f"/v1/houses/{registered['house_id']}"
    rental = await posted(house, f"{base}/rentals", {"lessor": {"name": "李四"}, "rooms_let": 2, "start": "2026-10-01",
                                                     "security_person": {"name": "李四"}}, police_headers, 201)
    tenant = await linkable(settings, house, OCCUPANTS)
    moved_in = await posted(house, f"{base}/rentals/{rental['rental_id']}/tenants",
                            {"person_id": tenant, "moved_in": "2026-10-02"}, police_headers, 201)

    assert "on" in field_of(await house.post(f"{base}/demolish", json={"reason": "拆除"}, headers=police_headers))
    assert field_of(await house.post(f"{base}/demolish", json={"on": "2026-11-10", "reason": ""},
                                     headers=police_headers)) == ["reason"]
    assert field_of(await house.post(f"{base}/demolish", json={"on": "2026-09-30", "reason": "拆除"},
                                     headers=police_headers)) == ["on"], "before the tenant moved in"
    refused = await house.post(f"{base}/demolish", json={"on": "2026-11-10", "reason": "拆除"}, headers=outsider())
    assert refused.status_code == 403 and refused.json()["record_division"] == TOWNSHIP
    stale = await house.post(f"{base}/demolish", json={"on": "2026-11-10", "reason": "拆除", "expected_version": 1},
                             headers=police_headers)
    assert stale.status_code == 409, stale.text

    example = Demolish.model_json_schema()["examples"][0]  # the documented body, as it stands
    assert example["expected_version"] == moved_in["version"]
    demolished = await posted(house, f"{base}/demolish", example, police_headers)
    record = await read(house, base, demolished, police_headers)
    assert (record["status"], record["demolished_on"], record["demolished_reason"]) == (
        "demolished", example["on"], example["reason"])
    ended = record["rentals"][0]
    assert (ended["status"], ended["ended_on"], ended["end_reason"]) == ("ended", example["on"], example["reason"])
    assert ended["tenants"][0]["moved_out"] == example["on"] and ended["current_tenants"] == 0

    again = await house.post(f"{base}/rentals", json={"lessor": {"name": "李四"}, "rooms_let": 1, "start": "2026-11-12",
                                                      "security_person": {"name": "李四"}}, headers=police_headers)
    assert again.status_code == 409 and again.json()["type"] == "house.demolished", again.text
    back = await house.post(f"{base}/rentals/{rental['rental_id']}/tenants",
                            json={"person_id": tenant, "moved_in": "2026-11-12"}, headers=police_headers)
    assert back.status_code == 409 and back.json()["type"] == "house.demolished", back.text


async def test_a_relocated_unit_keeps_its_staff_and_history_under_the_new_jurisdiction(
        address_client, services, police_headers, settings):
    _, unit = services
    road = unique_name()
    here = await register_doorplate(address_client, police_headers, road, "8")
    there = await register_doorplate(address_client, police_headers, road, "42", division_code=ELSEWHERE)
    gone = await register_doorplate(address_client, police_headers, road, "44")
    retired = await posted(address_client, f"/v1/doorplates/{gone['code']}/retire", {"reason": "拆迁"}, police_headers)
    registered = await once_known(unit, "/v1/units", {"name": "迁址测试商店", "industry_code": "F52",
                                                      "unit_type": "individual_business", "address_code": here["code"],
                                                      "opened_on": "2020-05-01"}, police_headers, 201)
    base = f"/v1/units/{registered['unit_id']}"
    employee = await linkable(settings, unit, UNIT_PERSONS)
    await posted(unit, f"{base}/employees", {"person_id": employee, "position": "店员", "hired": "2026-01-05"},
                 police_headers, 201)
    await posted(unit, f"{base}/inspections", {"inspected_on": "2026-10-03", "findings": "正常"}, police_headers, 201)

    assert set(field_of(await unit.post(f"{base}/relocate", json={}, headers=police_headers))) == {
        "address_code", "moved_on"}
    assert field_of(await unit.post(f"{base}/relocate", json={"address_code": there["code"], "moved_on": "soon"},
                                    headers=police_headers)) == ["moved_on"]
    unknown = await unit.post(f"{base}/relocate", json={"address_code": "532503002599999999999999",
                                                        "moved_on": "2026-11-01"}, headers=police_headers)
    assert field_of(unknown) == ["address_code"] and unknown.json()["detail"][0]["type"] == "address.unknown"
    deadline = asyncio.get_running_loop().time() + DEADLINE
    while True:  # the unit's replica learns of the retirement from Kafka
        answer = await unit.post(f"{base}/relocate", json={"address_code": gone["code"], "moved_on": "2026-11-01"},
                                 headers=police_headers)
        assert field_of(answer) == ["address_code"], answer.text
        if answer.json()["detail"][0]["type"] == "address.retired":
            break
        assert asyncio.get_running_loop().time() < deadline, f"retirement {retired} never reached the unit service"
        await asyncio.sleep(0.2)
    refused = await unit.post(f"{base}/relocate", json={"address_code": there["code"], "moved_on": "2026-11-01"},
                              headers=outsider())
    assert refused.status_code == 403 and refused.json()["record_division"] == TOWNSHIP

    example = Relocate.model_json_schema()["examples"][0]  # the documented body, with a live plate
    moved = await once_known(unit, f"{base}/relocate", {**example, "address_code": there["code"]}, police_headers, 200)
    assert moved["address_code"] == there["code"]
    record = await read(unit, base, moved, police_headers)
    assert (record["address_code"], record["division_code"], record["relocated_on"]) == (
        there["code"], ELSEWHERE, example["moved_on"])
    assert record["address_name"] and "42" in record["address_name"]
    assert [i["findings"] for i in record["inspections"]] == ["正常"], "the inspection history moved with it"
    staff = await unit.get(f"{base}/employees", params={"min_version": moved["version"]}, headers=police_headers)
    assert staff.status_code == 200, staff.text
    assert [e["person_id"] for e in staff.json()["current"]] == [employee]
    found = await unit.get("/v1/units", params={"address_code": there["code"]}, headers=police_headers)
    assert [u["unit_id"] for u in found.json()["items"]] == [registered["unit_id"]]
    township = {"Authorization": "Bearer " + mint_token("PC-2", "police", TOWNSHIP)}
    left_behind = await unit.get(base, headers=township)
    assert left_behind.status_code == 403, "the old township's police no longer own the unit"
