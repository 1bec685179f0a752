"""The house service against the real Kafka and MongoDB: houses on real addresses from the address service,
rentals with tenants joining and leaving, group rentals, the month's unchecked rentals, and a rebuild."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from asgi_lifespan import LifespanManager

from services.house.projections import addresses, registry
from services.kernel.web.auth import mint_token
from services.kernel.operations.rebuild import rebuild
from services.replicas.address import lookup_address
from tests.integration.address_helpers import TOWNSHIP, read_doorplate, register_doorplate
from services.house.occupants import OCCUPANTS
from tests.integration.conftest import unique_name
from tests.integration.person_facts import known_to, published_person
from tests.integration.test_rebuild import caught_up_with_the_log, snapshot

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def house_client():
    from services.house.app import build_app

    app = build_app()
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=120) as manager:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://house") as client:
            client.fastapi = app
            yield client


def supervisor_headers() -> dict:
    return {"Authorization": "Bearer " + mint_token("SV-0001", "supervisor", "532503")}


async def known_to_house(house_client, code: str, check=lambda a: a is not None, timeout: float = 30.0):
    """Wait until the house service's address replica shows ``code`` as ``check`` wants."""
    rt = house_client.fastapi.state.runtime
    replica = rt.read_model(addresses.name, addresses.name)
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        address = await lookup_address(replica, code)
        if check(address) or asyncio.get_running_loop().time() > deadline:
            return address
        await asyncio.sleep(0.1)


async def new_plate(address_client, house_client, headers, road: str | None = None, number: str = "18") -> dict:
    plate = await register_doorplate(address_client, headers, road or unique_name(), number)
    assert await known_to_house(house_client, plate["code"])
    return plate


async def register_house(house_client, headers, address_code: str, expect: int = 201, **fields) -> dict:
    body = {"address_code": address_code, "property_nature": "commercial", "use": "rented", "rooms": 3,
            "area": 90, **fields}
    response = await house_client.post("/v1/houses", json=body, headers=headers)
    assert response.status_code == expect, response.text
    return response.json()


async def read_house(house_client, headers, accepted: dict) -> dict:
    response = await house_client.get(f"/v1/houses/{accepted['house_id']}", params={"min_version": accepted["version"]},
                                      headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_house_at_an_address_once_and_read_back(address_client, house_client, police_headers):
    plate = await new_plate(address_client, house_client, police_headers)
    accepted = await register_house(house_client, police_headers, plate["code"],
                                    owner={"name": "张三", "document_type": "id_card",
                                           "document_number": "11010519491231002X"})
    assert accepted["version"] == 1 and accepted["stream_id"] == f"house-{accepted['house_id']}"
    house = await read_house(house_client, police_headers, accepted)
    assert house["house_id"] == accepted["house_id"] and house["address_code"] == plate["code"]
    assert house["division_code"] == TOWNSHIP and house["address_name"].endswith("18号")
    assert house["owner"]["name"] == "张三" and house["use"] == "rented" and house["version"] == 1

    again = await register_house(house_client, police_headers, plate["code"], expect=409)
    assert again["type"] == "house.duplicate" and accepted["house_id"] in again["detail"]
    found = await house_client.get("/v1/houses", params={"address_code": plate["code"]}, headers=police_headers)
    assert [h["house_id"] for h in found.json()["items"]] == [accepted["house_id"]]


async def test_unknown_retired_merged_and_renamed_addresses(address_client, house_client, police_headers):
    unknown = await register_house(house_client, police_headers, "532503001509999999999999", expect=422)
    assert unknown["detail"][0]["loc"][-1] == "address_code" and unknown["detail"][0]["type"] == "address.unknown"

    road = unique_name()
    survivor = await new_plate(address_client, house_client, police_headers, road, "2")
    duplicate = await new_plate(address_client, house_client, police_headers, road, "4")
    doomed = await new_plate(address_client, house_client, police_headers, road, "6")
    earlier = await new_plate(address_client, house_client, police_headers, road, "2-1")
    before_rename = await register_house(house_client, police_headers, doomed["code"])
    before_merge = await register_house(house_client, police_headers, earlier["code"])
    await read_house(house_client, police_headers, before_merge)  # in the read model before the list below
    for plate in (duplicate, earlier):
        merging = await address_client.post(f"/v1/doorplates/{plate['code']}/merge",
                                            json={"survivor_code": survivor["code"]}, headers=police_headers)
        assert merging.status_code == 200, merging.text
    retired = await address_client.post(f"/v1/doorplates/{doomed['code']}/retire", json={"reason": "拆迁"},
                                        headers=police_headers)
    assert retired.status_code == 200, retired.text
    await known_to_house(house_client, doomed["code"], lambda a: a.status == "retired")
    refused = await register_house(house_client, police_headers, doomed["code"], expect=422)
    assert refused["detail"][0]["loc"][-1] == "address_code" and refused["detail"][0]["type"] == "address.retired"

    for plate in (duplicate, earlier):
        await known_to_house(house_client, plate["code"], lambda a: a.redirected_from is not None)
    merged = await register_house(house_client, police_headers, duplicate["code"])
    assert merged["address_code"] == survivor["code"], "a merged address registers at its survivor"
    twice = await register_house(house_client, police_headers, survivor["code"], expect=409)
    assert merged["house_id"] in twice["detail"]
    await read_house(house_client, police_headers, merged)  # read your own write before listing
    by_old_code = await house_client.get("/v1/houses", params={"address_code": duplicate["code"]},
                                         headers=police_headers)
    assert sorted(h["house_id"] for h in by_old_code.json()["items"]) == sorted(
        [merged["house_id"], before_merge["house_id"]]), "the survivor answers for the plates merged into it"
    moved = await read_house(house_client, police_headers, before_merge)
    assert moved["address_status"] == "merged" and moved["address_redirected_to"] == survivor["code"]

    plate = await read_doorplate(address_client, police_headers, survivor)
    new_name = unique_name("大道")
    response = await address_client.post(f"/v1/places/{plate['place_code']}/rename", json={"new_name": new_name},
                                         headers=police_headers)
    assert response.status_code == 200, response.text
    await known_to_house(house_client, survivor["code"], lambda a: a.place_name == new_name)
    house = await read_house(house_client, police_headers, merged)
    assert house["address_name"].endswith(f"{new_name}2号"), "a renamed road shows its new name"
    old = await read_house(house_client, police_headers, before_rename)
    assert old["address_name"].endswith(f"{new_name}6号")
    assert old["address_status"] == "retired" and "house.address_retired" in [e["type"] for e in old["logic_errors"]]


async def test_a_house_at_a_generated_room(address_client, house_client, police_headers):
    plate = await register_doorplate(address_client, police_headers, unique_name(), "8")
    building = await address_client.post(f"/v1/doorplates/{plate['code']}/buildings",
                                         json={"building": "3栋", "units": 2, "floors": 15, "rooms_per_floor": 4},
                                         headers=police_headers)
    assert building.status_code == 201, building.text
    await read_doorplate(address_client, police_headers, building.json())
    rooms = await address_client.get(f"/v1/doorplates/{plate['code']}/rooms",
                                     params={"unit": 2, "floor": 12}, headers=police_headers)
    room = next(r for r in rooms.json()["items"] if r["label"].endswith("1203室"))
    await known_to_house(house_client, room["code"])
    accepted = await register_house(house_client, police_headers, room["code"])
    house = await read_house(house_client, police_headers, accepted)
    assert house["address_code"] == room["code"] and house["address_name"].endswith("3栋2单元1203室")
    outside = room["code"][:26] + "03" + room["code"][28:]  # unit 3 of a 2-unit building (check digit aside)
    assert (await register_house(house_client, police_headers, outside, expect=422))["detail"][0]["type"] == \
        "address.unknown"


async def test_rental_lifecycle_group_rental_and_unchecked_rentals(address_client, house_client, police_headers,
                                                                   settings):
    plate = await new_plate(address_client, house_client, police_headers)
    tenants = [await published_person(settings) for _ in range(6)]  # registered persons (issue 16: links checked)
    for tenant in tenants:
        await known_to(house_client, OCCUPANTS, tenant)
    house = await register_house(house_client, police_headers, plate["code"], use="self_occupied", rooms=3, area=60)
    response = await house_client.post(f"/v1/houses/{house['house_id']}/rentals", headers=police_headers, json={
        "lessor": {"name": "张三", "document_type": "id_card", "document_number": "11010519491231002X"},
        "lessor_role": "owner", "rooms_let": 2, "area_let": 40, "monthly_rent": 1500, "start": "2026-10-01",
        "end": "2027-09-30", "security_person": {"name": "张三"}, "responsibility_letter_signed": "2026-10-01"})
    assert response.status_code == 201, response.text
    rental = response.json()
    assert rental["logic_errors"][0]["type"] == "house.let_not_rented", "reported, not refused"
    rental_path = f"/v1/houses/{house['house_id']}/rentals/{rental['rental_id']}"
    for index in range(5):
        joined = await house_client.post(f"{rental_path}/tenants", headers=police_headers,
                                         json={"person_id": tenants[index], "moved_in": "2026-10-02"})
        assert joined.status_code == 201, joined.text
    record = await read_house(house_client, police_headers, joined.json())
    let = record["rentals"][0]
    assert let["current_tenants"] == 5 and let["group_rental"] and record["group_rental"]
    assert record["logic_errors"][0]["type"] == "house.tenant_not_rented"

    supervisor = supervisor_headers()
    listed = await house_client.get("/v1/houses/group-rentals", headers=supervisor)
    assert house["house_id"] in [h["house_id"] for h in listed.json()["items"]]
    left = await house_client.post(f"{rental_path}/tenants/{tenants[0]}/move-out", headers=police_headers,
                                   json={"moved_out": "2026-11-01"})
    assert left.status_code == 200, left.text
    record = await read_house(house_client, police_headers, left.json())
    assert record["rentals"][0]["current_tenants"] == 4 and not record["group_rental"]
    tenant_of = await house_client.get("/v1/houses", params={"tenant": tenants[1]},
                                       headers=police_headers)
    assert [h["house_id"] for h in tenant_of.json()["items"]] == [house["house_id"]]

    unchecked = await house_client.get("/v1/houses/unchecked-rentals", params={"as_of": "2026-11-20"},
                                       headers=supervisor)
    assert rental["rental_id"] in [r["rental_id"] for r in unchecked.json()["items"]]
    exported = await house_client.get("/v1/houses/unchecked-rentals", params={"as_of": "2026-11-20", "format": "csv"},
                                      headers=supervisor)  # the whole worklist as a file, one row per rental
    assert exported.status_code == 200 and exported.text.splitlines()[0].lstrip("\ufeff").startswith("house_id,")
    assert sum(rental["rental_id"] in line for line in exported.text.splitlines()) == 1
    checked = await house_client.post(f"/v1/houses/{house['house_id']}/checks", headers=police_headers, json={
        "checked_on": "2026-11-03", "anyone_home": True, "remark": "租客信息与登记一致"})
    assert checked.status_code == 201, checked.text
    await read_house(house_client, police_headers, checked.json())
    unchecked = await house_client.get("/v1/houses/unchecked-rentals", params={"as_of": "2026-11-20"},
                                       headers=supervisor)
    assert rental["rental_id"] not in [r["rental_id"] for r in unchecked.json()["items"]]
    next_month = await house_client.get("/v1/houses/unchecked-rentals", params={"as_of": "2026-12-02"},
                                        headers=supervisor)
    assert rental["rental_id"] in [r["rental_id"] for r in next_month.json()["items"]]

    ended = await house_client.post(f"{rental_path}/end", headers=police_headers,
                                    json={"ended_on": "2026-11-15", "reason": "合同解除"})
    record = await read_house(house_client, police_headers, ended.json())
    assert record["rentals"][0]["status"] == "ended"
    assert all(t["moved_out"] for t in record["rentals"][0]["tenants"])
    late = await house_client.post(f"{rental_path}/tenants", headers=police_headers,
                                   json={"person_id": tenants[5], "moved_in": "2026-11-16"})
    assert late.status_code == 409 and late.json()["type"] == "rental.ended"


async def test_bad_input_names_the_field(address_client, house_client, police_headers):
    plate = await new_plate(address_client, house_client, police_headers)
    bad_use = await register_house(house_client, police_headers, plate["code"], expect=422, use="palace")
    assert bad_use["detail"][0]["loc"][-1] == "use"
    house = await register_house(house_client, police_headers, plate["code"])
    backwards = await house_client.post(f"/v1/houses/{house['house_id']}/rentals", headers=police_headers, json={
        "lessor": {"name": "张三"}, "rooms_let": 1, "start": "2026-10-01", "end": "2026-09-01",
        "security_person": {"name": "张三"}})
    assert backwards.status_code == 422
    assert backwards.json()["detail"][0]["loc"] == ["body", "end"]
    assert backwards.json()["detail"][0]["type"] == "rental.end_before_start"
    nobody = await house_client.post(f"/v1/houses/{house['house_id']}/rentals", headers=police_headers, json={
        "lessor": {}, "rooms_let": 1, "start": "2026-10-01", "security_person": {"name": "张三"}})
    assert nobody.status_code == 422 and nobody.json()["detail"][0]["loc"][:2] == ["body", "lessor"]
    assert (await house_client.get("/v1/houses/H-none", headers=police_headers)).status_code == 404


async def test_rebuild_of_every_house_read_model_equals_live(address_client, house_client, police_headers, settings):
    plate = await new_plate(address_client, house_client, police_headers)
    house = await register_house(house_client, police_headers, plate["code"])
    rental = await house_client.post(f"/v1/houses/{house['house_id']}/rentals", headers=police_headers, json={
        "lessor": {"name": "张三"}, "rooms_let": 1, "start": "2026-10-01", "security_person": {"name": "张三"}})
    await read_house(house_client, police_headers, rental.json())
    rt = house_client.fastapi.state.runtime
    for projection in (registry, addresses):
        live = rt.runners[projection.name].generation
        await caught_up_with_the_log(settings, rt.runners[projection.name])
        report = await rebuild(settings, "house", projection, swap=False)
        for logical in projection.collections:
            rebuilt, current = await snapshot(rt.db, logical, report.generation), await snapshot(rt.db, logical, live)
            assert rebuilt == current, f"{projection.name}/{logical} differs after a rebuild"


async def test_jurisdiction_and_the_access_log(address_client, house_client, police_headers):
    plate = await new_plate(address_client, house_client, police_headers)
    house = await register_house(house_client, police_headers, plate["code"])
    await read_house(house_client, police_headers, house)
    outside = {"Authorization": "Bearer " + mint_token("PC-9", "police", "532502")}
    refused = await house_client.get(f"/v1/houses/{house['house_id']}", headers=outside)
    assert refused.status_code == 403 and refused.json()["record_division"] == TOWNSHIP
    change = await house_client.post(f"/v1/houses/{house['house_id']}/checks", headers=outside,
                                     json={"checked_on": "2026-11-03", "anyone_home": False})
    assert change.status_code == 403
    listed = await house_client.get("/v1/houses", params={"address_code": plate["code"]}, headers=outside)
    assert listed.status_code == 200 and listed.json()["items"] == [], "filtered, not refused"

    db = house_client.fastapi.state.runtime.db
    read_entry = await db["access_log"].find_one({"payload.record_id": house["house_id"]})
    assert read_entry["payload"]["record_type"] == "house" and read_entry["division_code"] == TOWNSHIP
    lookup_entry = await db["access_log"].find_one({"payload.lookup.address_code": plate["code"], "actor.id": "PC-9"})
    assert lookup_entry is not None and lookup_entry["payload"]["result_count"] == 0, "a fruitless lookup is logged too"


async def test_corrections(address_client, house_client, police_headers):
    plate = await new_plate(address_client, house_client, police_headers)
    house = await register_house(house_client, police_headers, plate["code"], rooms=3, area=90)
    corrected = await house_client.post(f"/v1/houses/{house['house_id']}/corrections", headers=police_headers,
                                        json={"area": 95.5, "reason": "实地核查面积有误", "expected_version": 1})
    assert corrected.status_code == 200, corrected.text
    record = await read_house(house_client, police_headers, corrected.json())
    assert (record["area"], record["rooms"]) == (95.5, 3)
    stale = await house_client.post(f"/v1/houses/{house['house_id']}/corrections", headers=police_headers,
                                    json={"rooms": 4, "reason": "x", "expected_version": 1})
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
