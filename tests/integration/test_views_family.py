"""The cross-context views over HTTP on the real stack, after the full life of a family in a rented flat: move
in, tenants join, the road is renamed, the child moves out, the rental ends. 查人知住 on the person service, 以房管人
on the house service, 以业管人 on the unit service, each read-your-writes with the tokens the commands returned,
filtered by jurisdiction, and each rebuilt from offset 0 equal to live."""

from __future__ import annotations

import asyncio

import pytest

from services.house.occupants import occupants
from services.kernel.operations.rebuild import rebuild
from services.replicas.address import lookup_address
from services.person.whereabouts import whereabouts
from services.unit.persons import persons as unit_persons
from tests.integration.address_helpers import read_doorplate, register_doorplate
from tests.integration.conftest import unique_name
from tests.integration.test_house_registry import house_client  # noqa: F401 - the fixture
from tests.integration.test_person_api import POLICE, headers, known_to_replica, person_body, register
from tests.integration.test_person_api import person_client  # noqa: F401 - the fixture
from tests.integration.test_rebuild import caught_up_with_the_log, snapshot
from tests.integration.test_unit_registry import unit_client  # noqa: F401 - the fixture

pytestmark = pytest.mark.integration
ELSEWHERE = headers("police", "532503002", "police-elsewhere")


async def post(client, path: str, body: dict, expect: tuple = (200, 201), as_: dict = POLICE) -> dict:
    response = await client.post(path, json=body, headers=as_)
    assert response.status_code in expect, response.text
    return response.json()


async def get(client, path: str, as_: dict = POLICE, expect: int = 200, **params) -> dict:
    response = await client.get(path, params=params, headers=as_)
    assert response.status_code == expect, response.text
    return response.json()


async def known_to(client, replica_name: str, code: str, check=lambda a: a is not None):
    replica = client.fastapi.state.runtime.read_model(replica_name, replica_name)
    for _ in range(300):
        address = await lookup_address(replica, code)
        if check(address):
            return address
        await asyncio.sleep(0.1)
    raise AssertionError(f"{replica_name} never saw {code} as expected")


def token(accepted: dict) -> str:
    return f"{accepted['stream_id']}:{accepted['version']}"


async def test_the_family_in_a_rented_flat_seen_from_every_view(address_client, person_client, house_client,
                                                                unit_client, settings):
    road, new_road = unique_name(), unique_name("大道")
    plate = await register_doorplate(address_client, POLICE, road, "18")
    code = plate["code"]
    located = await address_client.put(f"/v1/doorplates/{code}/location", headers=POLICE,
                                       json={"location": {"lng": 103.3712, "lat": 23.3937, "system": "gcj02"}})
    assert located.status_code == 200, located.text
    await known_to(house_client, "house-addresses", code)
    await known_to(unit_client, "unit-addresses", code)
    point = (await known_to_replica(person_client, code, lambda a: a.location is not None)).location

    bodies = {who: person_body("migrant") for who in ("father", "mother", "child", "lessor")}
    people = {who: await register(person_client, body) for who, body in bodies.items()}
    ids = {who: accepted["person_id"] for who, accepted in people.items()}
    house = await post(house_client, "/v1/houses", {"address_code": code, "property_nature": "private", "use": "rented",
                                                    "rooms": 3, "area": 90, "owner": {"person_id": ids["lessor"]}})
    rental = await post(house_client, f"/v1/houses/{house['house_id']}/rentals", {
        "lessor": {"person_id": ids["lessor"]}, "lessor_role": "owner", "rooms_let": 3, "start": "2026-01-02",
        "security_person": {"person_id": ids["lessor"]}})
    rental_path = f"/v1/houses/{house['house_id']}/rentals/{rental['rental_id']}"
    moves = {}
    for who in ("father", "mother", "child"):
        joined = await post(house_client, f"{rental_path}/tenants", {"person_id": ids[who], "moved_in": "2026-01-03"})
        moves[who] = await post(person_client, f"/v1/persons/{ids[who]}/residence", {
            "address_code": code, "moved_in": "2026-01-03", "reason": "务工", "residence_type": "rental",
            "lessor_name": "王强"})
    unit = await post(unit_client, "/v1/units", {"name": "蒙自某宾馆", "industry_code": "H61", "address_code": code,
                                                  "unit_type": "individual_business", "opened_on": "2020-05-01"})
    await post(unit_client, f"/v1/units/{unit['unit_id']}/special-trades", {"trade": "hotel", "since": "2026-01-01"})
    hired = await post(unit_client, f"/v1/units/{unit['unit_id']}/employees",
                       {"person_id": ids["father"], "position": "前台", "hired": "2026-01-05"})

    # the road is renamed between the moves and the reads
    place = await read_doorplate(address_client, POLICE, plate)
    await post(address_client, f"/v1/places/{place['place_code']}/rename",
               {"new_name": new_road, "reason": "地名委员会批复", "expected_version": 1})
    # the child moves out
    left = await post(house_client, f"{rental_path}/tenants/{ids['child']}/move-out", {"moved_out": "2026-06-01"})
    moved_out = await post(person_client, f"/v1/persons/{ids['child']}/move-out", {"moved_out": "2026-06-01",
                                                                                   "reason": "就学"})

    # 以房管人 while the rental runs: residents by category, current tenants, the security responsible person
    seen = await get(house_client, f"/v1/houses/{house['house_id']}/occupants", min_version=left["version"],
                     after=[token(moves["father"]), token(moves["mother"]), token(moved_out)])
    assert sorted(r["person_id"] for r in seen["residents"]) == sorted([ids["father"], ids["mother"]])
    assert seen["residents_by_category"] == {"migrant": 2}
    assert sorted(t["person_id"] for t in seen["tenants"]) == sorted([ids["father"], ids["mother"]])
    assert [person["person_id"] for person in seen["security_persons"]] == [ids["lessor"]]
    assert seen["key_person_present"] is False
    at_address = await get(house_client, "/v1/houses/occupants", address_code=code)
    assert [(entry["address_code"], entry["residents"], entry["house_id"], entry["tenants"])
            for entry in at_address["per_address"]] == [(code, 2, house["house_id"], 2)]
    assert at_address["total"] == 2 and at_address["next_cursor"] is None
    first = await get(house_client, "/v1/houses/occupants", address_code=code, limit=1)  # pages: nothing cut off
    second = await get(house_client, "/v1/houses/occupants", address_code=code, limit=1, cursor=first["next_cursor"])
    assert sorted(r["person_id"] for r in first["items"] + second["items"]) == sorted([ids["father"], ids["mother"]])
    assert second["next_cursor"] is None and first["per_address"] == at_address["per_address"]

    # 查人知住 for the mother while the rental runs: the house, its rental and lessor
    mother = await get(person_client, f"/v1/persons/{ids['mother']}/whereabouts", min_version=moves["mother"]["version"],
                       after=[token(joined), token(left)])
    assert mother["residence"]["house_id"] == house["house_id"]
    assert mother["residence"]["rental"]["rental_id"] == rental["rental_id"]
    assert mother["residence"]["lessor"]["person_id"] == ids["lessor"]
    assert mother["residence"]["location"] == point and point["type"] == "Point", "the map point of the residence"

    ended = await post(house_client, f"{rental_path}/end", {"ended_on": "2026-09-30", "reason": "到期"})

    # 查人知住 for the father: residence with the road's new name, the hotel he works at, the dated history
    async def renamed_residence():
        for _ in range(600):
            found = await get(person_client, f"/v1/persons/{ids['father']}/whereabouts",
                              after=[token(ended), token(hired)])
            if new_road in (found["residence"]["full_name"] or ""):
                return found
            await asyncio.sleep(0.1)
        raise AssertionError(f"the residence never showed the new road name: {found['residence']}")

    father = await renamed_residence()
    assert father["residence"]["address_code"] == code and father["residence"]["since"] == "2026-01-03"
    assert father["residence"]["full_name"].endswith(f"{new_road}18号")
    assert father["residence"]["house_id"] == house["house_id"] and father["residence"]["rental"] is None
    assert [(e["unit_id"], e["position"], e["special_trades"]) for e in father["employers"]] == \
        [(unit["unit_id"], "前台", ["hotel"])]
    assert ("tenancy", "2026-01-03", "2026-09-30") in [(h["kind"], h["from"], h["to"]) for h in father["history"]]
    by_document = await get(person_client, "/v1/persons/whereabouts",
                            document_number=bodies["father"]["document_number"])
    assert by_document["person_id"] == ids["father"]

    child = await get(person_client, f"/v1/persons/{ids['child']}/whereabouts")
    assert child["residence"] is None
    assert ("residence", "2026-01-03", "2026-06-01") in [(h["kind"], h["from"], h["to"]) for h in child["history"]]

    # 以房管人 after the rental ended: the residents stay, the tenants are gone
    seen = await get(house_client, f"/v1/houses/{house['house_id']}/occupants", min_version=ended["version"])
    assert len(seen["residents"]) == 2 and seen["tenants"] == [] and seen["security_persons"] == []

    # 以业管人: the hotel's employee and where he lives
    staff = await get(unit_client, f"/v1/units/{unit['unit_id']}/employees", min_version=hired["version"],
                      after=[token(moves["father"])])
    assert [(e["person_id"], e["residence"]["address_code"]) for e in staff["current"]] == [(ids["father"], code)]
    assert staff["past"] == []

    # jurisdiction: police of another township are refused, naming both divisions
    for client, path in ((person_client, f"/v1/persons/{ids['father']}/whereabouts"),
                         (house_client, f"/v1/houses/{house['house_id']}/occupants"),
                         (unit_client, f"/v1/units/{unit['unit_id']}/employees")):
        refused = await get(client, path, as_=ELSEWHERE, expect=403)
        assert refused["record_division"] == "532503001" and refused["caller_scope"] == "532503002"
    elsewhere = await get(house_client, "/v1/houses/occupants", as_=ELSEWHERE, address_code=code)
    assert elsewhere["items"] == [] and elsewhere["total"] == 0 and elsewhere["per_address"] == []

    # a malformed read-your-writes token names the parameter
    bad = await person_client.get(f"/v1/persons/{ids['father']}/whereabouts", params={"after": "nonsense"},
                                  headers=POLICE)
    assert bad.status_code == 422 and bad.json()["detail"][0]["type"] == "after.format"

    # rebuilt from offset 0, every view equals live
    for client, context, projection in ((person_client, "person", whereabouts), (house_client, "house", occupants),
                                        (unit_client, "unit", unit_persons)):
        rt = client.fastapi.state.runtime
        live = rt.runners[projection.name].generation
        await caught_up_with_the_log(settings, rt.runners[projection.name])
        report = await rebuild(settings, context, projection, swap=False)
        for logical in projection.collections:
            rebuilt, current = await snapshot(rt.db, logical, report.generation), await snapshot(rt.db, logical, live)
            differing = [key for key in set(rebuilt) | set(current) if rebuilt.get(key) != current.get(key)]
            assert not differing, f"{projection.name}/{logical}: {differing[:3]}"



async def test_a_merged_duplicate_answers_with_its_survivor(person_client):
    body = {**person_body("registered"), "legacy_import": True}  # legacy duplicates of one ID number
    survivor = await register(person_client, body)
    duplicate = await register(person_client, body)
    merged = await post(person_client, f"/v1/persons/{duplicate['person_id']}/merge",
                        {"survivor_id": survivor["person_id"]})
    answer = await get(person_client, f"/v1/persons/{duplicate['person_id']}/whereabouts", after=[token(merged)])
    assert answer["person_id"] == survivor["person_id"] and answer["status"] == "active"
    by_number = await get(person_client, "/v1/persons/whereabouts", document_number=body["document_number"])
    assert by_number["person_id"] == survivor["person_id"]
