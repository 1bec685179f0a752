"""Links must not become a window into another jurisdiction (issue 16), replayed against the running services.

As found: ``POST /v1/units/{id}/employees`` and ``POST /v1/houses/{h}/rentals/{r}/tenants`` accepted any
``person_id`` (a made-up one, a cancelled person); registering a known ID number answered 409 naming the existing
person's id in any jurisdiction, handing a neighbouring county's police the key to the record. Each test fails on
the code as it was and passes once the class is closed (services.replicas.links, PersonService._duplicate).
"""

from __future__ import annotations

import pytest

from services.house.occupants import OCCUPANTS
from services.unit.persons import UNIT_PERSONS
from tests.integration.address_helpers import register_doorplate
from tests.integration.conftest import unique_name
from tests.integration.person_facts import known_to
from tests.integration.test_person_api import person_body
from tests.security.services import GEJIU, GEJIU_TOWNSHIP, MENGZI, running, token

pytestmark = pytest.mark.integration

POLICE, COLLECTOR, NEIGHBOUR = token("police"), token("collector", MENGZI, "GW-1"), token("police", GEJIU, "PC-GJ")


@pytest.fixture(scope="module")
async def world():
    async with running("address", "person", "house", "unit") as clients:
        yield clients


async def created(client, path: str, body: dict, headers: dict = POLICE, tries: int = 600) -> dict:
    """POST until accepted: a service's address replica learns a new door plate a moment after it is registered."""
    import asyncio

    for _ in range(tries):
        response = await client.post(path, json=body, headers=headers)
        if response.status_code == 201:
            return response.json()
        assert response.status_code == 422 and "address" in response.text, response.text
        await asyncio.sleep(0.1)
    raise AssertionError(f"{path} never accepted: {response.text}")


async def registered(world, headers: dict = POLICE, **overrides) -> str:
    response = await world["person"].post("/v1/persons", json=person_body("registered", **overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["person_id"]


@pytest.fixture(scope="module")
async def unit_and_rental(world):
    plate = await register_doorplate(world["address"], POLICE, unique_name(), "8")
    unit = await created(world["unit"], "/v1/units", {"name": "天马宾馆", "industry_code": "H61",
                                                      "address_code": plate["code"], "unit_type": "individual_business"})
    house = await created(world["house"], "/v1/houses", {"address_code": plate["code"], "property_nature": "private",
                                                         "use": "rented", "rooms": 3})
    rental = await world["house"].post(f"/v1/houses/{house['house_id']}/rentals", headers=POLICE, json={
        "lessor": {"name": "李四"}, "rooms_let": 2, "start": "2026-10-01", "security_person": {"name": "李四"}})
    assert rental.status_code == 201, rental.text
    return (f"/v1/units/{unit['unit_id']}/employees",
            f"/v1/houses/{house['house_id']}/rentals/{rental.json()['rental_id']}/tenants")


async def test_a_made_up_person_is_neither_hired_nor_moved_in(world, unit_and_rental):
    import asyncio

    employees, tenants = unit_and_rental
    # both at once: each waits the read timeout for a person who might still be travelling before it answers 422
    hired, moved = await asyncio.gather(
        world["unit"].post(employees, headers=COLLECTOR,
                           json={"person_id": "P-made-up-0001", "position": "前台", "hired": "2026-01-05"}),
        world["house"].post(tenants, headers=COLLECTOR, json={"person_id": "P-made-up-0002", "moved_in": "2026-10-02"}))
    assert hired.status_code == 422, "as found: 201, and the views showed whoever the id named"
    assert hired.json()["detail"][0]["loc"] == ["body", "person_id"]
    assert hired.json()["detail"][0]["type"] == "person.unknown"
    assert moved.status_code == 422 and moved.json()["detail"][0]["type"] == "person.unknown"


async def test_a_cancelled_person_cannot_be_linked(world, unit_and_rental):
    employees, tenants = unit_and_rental
    person_id = await registered(world)
    cancelled = await world["person"].post(f"/v1/persons/{person_id}/cancel", headers=POLICE,
                                           json={"reason": "death", "cancelled_on": "2026-11-01"})
    assert cancelled.status_code == 200, cancelled.text
    await known_to(world["unit"], UNIT_PERSONS, person_id, "cancelled")
    await known_to(world["house"], OCCUPANTS, person_id, "cancelled")
    hired = await world["unit"].post(employees, headers=POLICE,
                                     json={"person_id": person_id, "position": "前台", "hired": "2026-01-05"})
    assert hired.status_code == 422 and hired.json()["detail"][0]["type"] == "person.cancelled"
    moved = await world["house"].post(tenants, headers=POLICE, json={"person_id": person_id, "moved_in": "2026-10-02"})
    assert moved.status_code == 422 and moved.json()["detail"][0]["type"] == "person.cancelled"


async def test_a_person_of_another_county_is_hired_and_the_answer_tells_nothing_of_them(world, unit_and_rental):
    """The domain allows it (a 蒙自 hotel hires a person registered in 个旧); the command's answer carries no name,
    division or residence of theirs (the views mask them: tests/security/test_masking.py)."""
    employees, tenants = unit_and_rental
    body = person_body("registered", division_code=GEJIU_TOWNSHIP)
    response = await world["person"].post("/v1/persons", json=body, headers=NEIGHBOUR)
    assert response.status_code == 201, response.text
    person_id = response.json()["person_id"]
    hired = await world["unit"].post(employees, headers=COLLECTOR,  # waits for the replica to learn the person
                                     json={"person_id": person_id, "position": "保安", "hired": "2026-02-01"})
    assert hired.status_code == 201, hired.text
    assert body["name"] not in hired.text and GEJIU not in hired.text and body["document_number"] not in hired.text
    moved = await world["house"].post(tenants, headers=COLLECTOR, json={"person_id": person_id,
                                                                        "moved_in": "2026-10-03"})
    assert moved.status_code == 201 and body["name"] not in moved.text and GEJIU not in moved.text


async def test_a_duplicate_registration_in_another_county_does_not_hand_out_the_persons_id(world):
    body = person_body("registered")
    first = await world["person"].post("/v1/persons", json=body, headers=POLICE)
    assert first.status_code == 201, first.text
    person_id = first.json()["person_id"]

    elsewhere = await world["person"].post("/v1/persons", headers=NEIGHBOUR,
                                           json={**body, "division_code": GEJIU_TOWNSHIP})
    assert elsewhere.status_code == 409
    assert person_id not in elsewhere.text, "as found: 409 'already registered as person P-…' to any county"
    assert elsewhere.json()["type"] == "person.registered_elsewhere"
    assert "532503 " in elsewhere.json()["detail"] and "协查" in elsewhere.json()["detail_zh"]

    inside = await world["person"].post("/v1/persons", json=body, headers=POLICE)
    assert inside.status_code == 409 and inside.json()["type"] == "person.duplicate" and person_id in inside.text


async def test_a_house_party_named_by_unit_id_must_be_a_registered_unit_not_closed(world, unit_and_rental):
    """单位产权/单位出租: a house's owner or a rental's lessor given as ``unit_id`` is checked through the house
    service's unit replica, as a person is through its person replica."""
    import asyncio
    import time

    plate = await register_doorplate(world["address"], POLICE, unique_name(), "18")
    deadline = time.monotonic() + 60  # the house service's address replica learns the new plate a moment later
    while True:
        made_up = await world["house"].post("/v1/houses", headers=POLICE, json={
            "address_code": plate["code"], "property_nature": "collective", "use": "rented",
            "owner": {"unit_id": "U-made-up-0001"}})
        if "address" not in made_up.json()["detail"][0]["type"] or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert made_up.status_code == 422, made_up.text
    assert (made_up.json()["detail"][0]["loc"], made_up.json()["detail"][0]["type"]) == (
        ["body", "owner", "unit_id"], "unit.unknown")

    owner = await created(world["unit"], "/v1/units", {"name": unique_name("物业"), "industry_code": "K70",
                                                       "address_code": plate["code"], "unit_type": "enterprise"})
    house = await created(world["house"], "/v1/houses", {  # waits for the replica to learn the unit: accepted
        "address_code": plate["code"], "property_nature": "collective", "use": "rented",
        "owner": {"unit_id": owner["unit_id"]}})
    closed = await world["unit"].post(f"/v1/units/{owner['unit_id']}/close", headers=POLICE,
                                      json={"on": "2026-11-30", "reason": "注销", "expected_version": owner["version"]})
    assert closed.status_code == 200, closed.text
    lease = {"lessor": {"unit_id": owner["unit_id"]}, "rooms_let": 1, "start": "2026-12-01",
             "security_person": {"name": "李四"}}
    deadline = time.monotonic() + 60  # the replica learns of the closure a moment later
    while True:
        rental = await world["house"].post(f"/v1/houses/{house['house_id']}/rentals", headers=POLICE, json=lease)
        if rental.status_code != 201 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.3)
    assert rental.status_code == 422, rental.text
    assert (rental.json()["detail"][0]["loc"], rental.json()["detail"][0]["type"]) == (
        ["body", "lessor", "unit_id"], "unit.closed")
