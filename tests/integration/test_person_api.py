"""The person service in-process against the real Kafka and MongoDB: what an officer and a supervisor see.

Registration per category (the OpenAPI examples themselves), one person one record, 422s naming the field,
masking per role, the access log of a lookup, residences on the service's own address replica (rename, merge,
retirement), deadline flags against a set clock, and the key-person workflow with jurisdiction.
"""

from __future__ import annotations

import asyncio
import random
from datetime import date, datetime, timedelta, timezone

import httpx
import pytest
from asgi_lifespan import LifespanManager

from tests.identities import unique_id_number
from services.kernel.web.auth import mint_token
from services.person.api.examples import REGISTRATIONS
from tests.integration.address_helpers import read_doorplate, register_doorplate
from tests.integration.conftest import unique_name

pytestmark = pytest.mark.integration

TOWNSHIP = "532503001"
CHINA = timezone(timedelta(hours=8))


def headers(role: str, org: str = TOWNSHIP, sub: str | None = None) -> dict:
    from services.kernel.base.settings import get_settings

    return {"Authorization": "Bearer " + mint_token(sub or f"{role}-1", role, org, get_settings())}


POLICE = headers("police")
SUPERVISOR = headers("supervisor")
COLLECTOR = headers("collector")
AGENCY = headers("agency")
OTHER_SUPERVISOR = headers("supervisor", "532503002", "supervisor-2")


@pytest.fixture(scope="session")
async def person_client():
    from services.person.app import build_app

    app = build_app()
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=120) as manager:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app),
                                     base_url="http://person") as client:
            client.fastapi = app
            yield client


def fresh_id(born: date | None = None, sex: str = "female", region: str = "532503") -> str:
    return unique_id_number(born, sex, region)


def person_body(category: str = "unregistered", **overrides) -> dict:
    """A valid registration with a fresh ID number (sex and birth date agreeing with it)."""
    body = dict(REGISTRATIONS[category]["value"])
    if body.get("document_type", "resident_id") == "resident_id":
        born = date(1950, 1, 1) + timedelta(days=random.randint(0, 20000))  # distinct numbers across a run
        body["birth_date"] = born.isoformat()
        body["document_number"] = fresh_id(born, body["sex"])
    else:
        body["document_type"] = "passport" if category == "foreigner" else body["document_type"]
        body["document_number"] = f"E{random.randint(10**7, 10**8 - 1)}"
    body.update(overrides)
    return body


async def register(client, body: dict, as_: dict = POLICE, expect: int = 201) -> dict:
    response = await client.post("/v1/persons", json=body, headers=as_)
    assert response.status_code == expect, response.text
    return response.json()


async def read(client, accepted: dict, as_: dict = POLICE, **params) -> dict:
    response = await client.get(f"/v1/persons/{accepted['person_id']}",
                                params={"min_version": accepted["version"], **params}, headers=as_)
    assert response.status_code == 200, response.text
    return response.json()


async def eventually(probe, check, timeout: float = 30.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await probe()
        if check(value) or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.1)


# registration ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("category", list(REGISTRATIONS))
async def test_each_openapi_example_registers_and_reads_back(person_client, category):
    body = person_body(category)
    accepted = await register(person_client, body)
    assert accepted["person_id"].startswith("P-") and accepted["stream_id"] == f"person-{accepted['person_id']}"
    assert accepted["version"] == 1
    person = await read(person_client, accepted)
    assert person["category"] == category and person["name"] == body["name"]
    assert person["division_code"] == TOWNSHIP and person["status"] == "active"
    assert person["details"]["category"] == category


async def test_the_examples_in_the_openapi_document_are_the_registrations(person_client):
    spec = person_client.fastapi.openapi()
    examples = spec["paths"]["/v1/persons"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    assert set(examples) == set(REGISTRATIONS)


async def test_one_person_one_record_and_a_legacy_number_finds_them(person_client):
    number = fresh_id(date(1975, 5, 6), "male")
    body = person_body("registered", document_number=number, sex="male", birth_date="1975-05-06")
    first = await register(person_client, body)
    legacy = number[:6] + number[8:17]
    response = await person_client.post("/v1/persons", json={**body, "document_number": legacy}, headers=POLICE)
    assert response.status_code == 409 and first["person_id"] in response.json()["detail"]
    assert response.json()["type"] == "person.duplicate"
    await read(person_client, first)
    found = await person_client.get("/v1/persons", params={"id_number": legacy.lower()}, headers=POLICE)
    assert [item["person_id"] for item in found.json()["items"]] == [first["person_id"]]
    suffix = await person_client.get("/v1/persons", params={"id_number_suffix": number[-6:]}, headers=POLICE)
    assert first["person_id"] in [item["person_id"] for item in suffix.json()["items"]]
    short = await person_client.get("/v1/persons", params={"id_number_suffix": number[-5:]}, headers=POLICE)
    assert short.status_code == 422 and short.json()["detail"][0]["type"] == "lookup.suffix_too_short"
    assert short.json()["detail"][0]["loc"] == ["query", "id_number_suffix"]


@pytest.mark.parametrize("category, missing", [("migrant", "arrival_date"), ("foreigner", "visa_number"),
                                               ("foreigner", "nationality"),
                                               ("lodger", "owner_name"), ("registered", "household_number"),
                                               ("unregistered", "reason_not_registered")])
async def test_a_missing_category_field_is_a_422_naming_it(person_client, category, missing):
    body = person_body(category)
    body.pop(missing)
    response = await person_client.post("/v1/persons", json=body, headers=POLICE)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == missing


@pytest.mark.parametrize("overrides, field, rule", [
    ({"document_number": "110105194912310021"}, "document_number", "id.check_character"),
    ({"sex": "male"}, "sex", "sex.contradicts_document"),
    ({"phone": "12345"}, "phone", "phone.invalid"),
    ({"ethnicity": "火星族"}, "ethnicity", "ethnicity.unknown"),
])
async def test_rule_violations_name_field_and_rule(person_client, overrides, field, rule):
    response = await person_client.post("/v1/persons", json=person_body("registered", **overrides), headers=POLICE)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"][0]
    assert detail["loc"][-1] == field and detail["type"] == rule and detail["msg_zh"]


async def test_legacy_import_keeps_the_contradiction_as_a_logic_error(person_client):
    body = person_body("registered", sex="male", legacy_import=True)
    person = await read(person_client, await register(person_client, body))
    assert person["sex"] == "male" and [e["rule"] for e in person["logic_errors"]] == ["sex.contradicts_document"]


# masking and access log -----------------------------------------------------------------------------------
async def test_masking_per_role_and_the_access_log_of_a_lookup(person_client):
    body = person_body("registered", name="欧阳明华", phone="13912345678")
    accepted = await register(person_client, body)
    police = await read(person_client, accepted, POLICE)
    assert police["document_number"] == body["document_number"] and police["phone"] == "+8613912345678"
    collector = await read(person_client, accepted, COLLECTOR)
    number = body["document_number"]
    assert collector["document_number"] == number[:4] + "*" * 10 + number[-4:]
    assert collector["phone"] == "+86139****5678" and collector["name"] == "欧阳明华"
    agency = await read(person_client, accepted, AGENCY)
    assert agency["name"] == "欧***" and agency["masked"] is True

    lookup = await person_client.get("/v1/persons", params={"id_number": number}, headers=COLLECTOR)
    assert lookup.json()["items"][0]["document_number"] == collector["document_number"]
    db = person_client.fastapi.state.runtime.db
    entry = await eventually(lambda: db["access_log"].find_one({"payload.lookup.id_number": {"$exists": True},
                                                                "payload.record_id": accepted["person_id"]}),
                             lambda found: found is not None)
    assert entry is not None, "the lookup left no access-log entry"
    assert entry["actor"]["role"] == "collector" and entry["payload"]["route"] == "/v1/persons"
    assert entry["payload"]["lookup"]["id_number"] == collector["document_number"], "the log keeps what the caller saw"
    by_name = await person_client.get("/v1/persons", params={"name": "欧阳明华"}, headers=POLICE)
    assert accepted["person_id"] in [item["person_id"] for item in by_name.json()["items"]]
    assert await db["access_log"].find_one({"payload.lookup.name": "欧阳明华"}) is not None


async def test_a_person_list_exported_for_a_collector_or_an_agency_holds_no_whole_classified_value(person_client):
    """Exports are an output path: the CSV and xlsx of a list are masked as its JSON pages are (issue 17)."""
    import csv
    import io

    from openpyxl import load_workbook

    name = unique_name("")[:3]
    bodies = [person_body("registered", name=name, phone=f"139{random.randint(10**7, 10**8 - 1)}") for _ in range(3)]
    for body in bodies:
        await read(person_client, await register(person_client, body))
    for caller, shown_name in ((COLLECTOR, name), (AGENCY, name[0] + "**")):
        for fmt in ("csv", "xlsx"):
            response = await person_client.get("/v1/persons", params={"name": name, "format": fmt}, headers=caller)
            assert response.status_code == 200, response.text
            if fmt == "csv":
                rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
            else:
                sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
                header, *values = list(sheet.iter_rows(values_only=True))
                rows = [dict(zip(header, row)) for row in values]
            assert len(rows) == 3 and {row["name"] for row in rows} == {shown_name}
            cells = " ".join(str(value) for row in rows for value in row.values())
            for body in bodies:
                number, phone = body["document_number"], "+86" + body["phone"]
                assert number not in cells and phone[3:] not in cells, f"{fmt}: a whole number in the export"
                assert number[:4] + "*" * 10 + number[-4:] in cells


async def test_another_jurisdiction_cannot_read_and_does_not_find(person_client):
    accepted = await register(person_client, person_body("registered"))
    await read(person_client, accepted)
    outsider = headers("police", "532503002", "police-2")
    response = await person_client.get(f"/v1/persons/{accepted['person_id']}", headers=outsider)
    assert response.status_code == 403 and response.json()["record_division"] == TOWNSHIP
    person = await read(person_client, accepted)
    found = await person_client.get("/v1/persons", params={"id_number": person["document_number"]}, headers=outsider)
    assert found.json()["total"] == 0 and found.json()["items"] == []


# residence on the address replica ---------------------------------------------------------------------------
async def known_to_replica(person_client, code: str, check=lambda a: a is not None):
    from services.replicas.address import lookup_address
    from services.person.views.persons import replica

    rt = person_client.fastapi.state.runtime
    return await eventually(lambda: lookup_address(replica(rt), code), lambda a: a is not None and check(a))


async def residences(person_client, accepted: dict) -> list[dict]:
    response = await person_client.get(f"/v1/persons/{accepted['person_id']}/residences",
                                       params={"min_version": accepted["version"]}, headers=POLICE)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_residence_follows_rename_merge_and_retirement(person_client, address_client, police_headers):
    road = unique_name()
    home = await register_doorplate(address_client, police_headers, road, "8")
    duplicate = await register_doorplate(address_client, police_headers, road, "10")
    doomed = await register_doorplate(address_client, police_headers, road, "12")
    await known_to_replica(person_client, doomed["code"])
    person = await register(person_client, person_body("migrant"))

    moved = await person_client.post(f"/v1/persons/{person['person_id']}/residence", headers=POLICE, json={
        "address_code": home["code"], "moved_in": "2026-01-06", "reason": "务工", "residence_type": "rental",
        "lessor_name": "赵强"})
    assert moved.status_code == 200, moved.text
    [current] = await residences(person_client, moved.json())
    assert current["current"] and current["address"]["full_name"].endswith(f"{road}8号")

    plate = await read_doorplate(address_client, police_headers, home)
    renamed = unique_name("大道")
    response = await address_client.post(f"/v1/places/{plate['place_code']}/rename", json={"new_name": renamed},
                                         headers=police_headers)
    assert response.status_code == 200, response.text
    await known_to_replica(person_client, home["code"], lambda a: a.place_name == renamed)
    [current] = await residences(person_client, moved.json())
    assert current["address"]["full_name"].endswith(f"{renamed}8号"), "a renamed road shows its new name"

    response = await address_client.post(f"/v1/doorplates/{duplicate['code']}/merge",
                                         json={"survivor_code": home["code"]}, headers=police_headers)
    assert response.status_code == 200, response.text
    response = await address_client.post(f"/v1/doorplates/{doomed['code']}/retire", json={"reason": "拆迁"},
                                         headers=police_headers)
    assert response.status_code == 200, response.text
    await known_to_replica(person_client, duplicate["code"], lambda a: a.redirected_from is not None)
    await known_to_replica(person_client, doomed["code"], lambda a: a.status == "retired")

    retired = await person_client.post(f"/v1/persons/{person['person_id']}/residence", headers=POLICE, json={
        "address_code": doomed["code"], "moved_in": "2026-03-01", "reason": "搬家"})
    assert retired.status_code == 422 and retired.json()["detail"][0]["type"] == "address.retired"
    assert retired.json()["detail"][0]["loc"][-1] == "address_code"
    unknown = await person_client.post(f"/v1/persons/{person['person_id']}/residence", headers=POLICE, json={
        "address_code": "532503001509999999999999", "moved_in": "2026-03-01", "reason": "搬家"})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["type"] == "address.unknown"

    other = await register(person_client, person_body("migrant"))
    followed = await person_client.post(f"/v1/persons/{other['person_id']}/residence", headers=POLICE, json={
        "address_code": duplicate["code"], "moved_in": "2026-02-01", "reason": "务工"})
    assert followed.status_code == 200, followed.text
    [current] = await residences(person_client, followed.json())
    assert current["address_code"] == home["code"] and current["requested_code"] == duplicate["code"]

    second_home = await register_doorplate(address_client, police_headers, renamed, "14")
    await known_to_replica(person_client, second_home["code"])
    again = await person_client.post(f"/v1/persons/{person['person_id']}/residence", headers=POLICE, json={
        "address_code": second_home["code"], "moved_in": "2026-06-01", "reason": "市内迁移"})
    assert again.status_code == 200, again.text
    newest, previous = await residences(person_client, again.json())
    assert newest["current"] and newest["address_code"] == second_home["code"]
    assert previous["moved_out"] == "2026-06-01" and not previous["current"]
    path = f"/v1/persons/{person['person_id']}/residences"  # paged like every list (issue 17): newest first
    first = (await person_client.get(path, params={"limit": 1}, headers=POLICE)).json()
    rest = (await person_client.get(path, params={"limit": 1, "cursor": first["next_cursor"]}, headers=POLICE)).json()
    assert first["total"] == rest["total"] == first["count"] == 2 and rest["next_cursor"] is None
    assert [first["items"][0]["address_code"], rest["items"][0]["address_code"]] == [
        newest["address_code"], previous["address_code"]]


# deadlines --------------------------------------------------------------------------------------------------
async def flags_of(client, accepted: dict, as_of: datetime) -> list[str]:
    return (await read(client, accepted, as_of=as_of.isoformat()))["flags"]


async def test_every_deadline_flag_against_a_set_clock(person_client):
    today = datetime.now(CHINA).date()
    now = datetime.now(CHINA)
    late_migrant = await register(person_client, person_body(
        "migrant", arrival_date=str(today - timedelta(days=10)), residence_permit_expiry=str(today + timedelta(days=20))))
    timely = await register(person_client, person_body(
        "migrant", arrival_date=str(today - timedelta(days=1)), residence_permit_number=None,
        residence_permit_expiry=None))
    late_foreigner = await register(person_client, person_body(
        "foreigner", entry_date=str(today - timedelta(days=3)), permitted_stay_until=str(today + timedelta(days=5)),
        arrived_at=(now - timedelta(hours=30)).isoformat(), nationality="LAO"))
    hotel_guest = await register(person_client, person_body(
        "foreigner", entry_date=str(today - timedelta(days=3)), permitted_stay_until=str(today + timedelta(days=5)),
        arrived_at=(now - timedelta(hours=30)).isoformat(), accommodation="hotel", nationality="LAO"))

    clock = now
    assert await flags_of(person_client, late_migrant, clock) == ["migrant_registered_late", "residence_permit_expiring"]
    assert await flags_of(person_client, timely, clock) == []
    assert await flags_of(person_client, late_foreigner, clock) == ["foreigner_registered_late"]
    assert await flags_of(person_client, hotel_guest, clock) == []
    later = now + timedelta(days=40)
    assert await flags_of(person_client, late_migrant, later) == ["migrant_registered_late", "residence_permit_expired"]
    assert await flags_of(person_client, hotel_guest, later) == ["foreigner_overstay"]
    much_later = now + timedelta(days=400)
    assert "migrant_registration_overdue" in await flags_of(person_client, timely, much_later)

    async def listed(flag: str, as_of: datetime) -> set[str]:
        response = await person_client.get("/v1/persons/deadlines", params={"flag": flag, "as_of": as_of.isoformat(),
                                                                            "limit": 100}, headers=SUPERVISOR)
        assert response.status_code == 200, response.text
        return {item["person_id"] for item in response.json()["items"]}

    assert late_migrant["person_id"] in await listed("migrant_registered_late", clock)
    assert timely["person_id"] not in await listed("migrant_registered_late", clock)
    assert late_migrant["person_id"] in await listed("residence_permit_expiring", clock)
    assert late_migrant["person_id"] not in await listed("residence_permit_expired", clock)
    assert late_migrant["person_id"] in await listed("residence_permit_expired", later)
    assert late_foreigner["person_id"] in await listed("foreigner_registered_late", clock)
    assert hotel_guest["person_id"] in await listed("foreigner_overstay", later)
    assert hotel_guest["person_id"] not in await listed("foreigner_overstay", clock)
    assert timely["person_id"] in await listed("migrant_registration_overdue", much_later)

    renewed = await person_client.post(f"/v1/persons/{timely['person_id']}/renewal", headers=POLICE,
                                       json={"valid_until": str(today + timedelta(days=800))})
    assert renewed.status_code == 200, renewed.text
    await read(person_client, renewed.json())
    assert timely["person_id"] not in await listed("migrant_registration_overdue", much_later)
    cancelled = await person_client.post(f"/v1/persons/{late_migrant['person_id']}/cancel", headers=POLICE,
                                         json={"reason": "moved_away", "cancelled_on": str(today)})
    assert cancelled.status_code == 200, cancelled.text
    assert await flags_of(person_client, cancelled.json(), later) == []
    assert late_migrant["person_id"] not in await listed("residence_permit_expired", later)


# key persons ------------------------------------------------------------------------------------------------
async def test_key_person_workflow_with_illegal_steps_and_the_wrong_jurisdiction(person_client):
    person = await register(person_client, person_body("registered"))
    response = await person_client.post("/v1/key-persons", headers=POLICE, json={
        "person_id": person["person_id"], "category_code": "04", "problem": "有吸毒史", "responsible_unit": "文澜派出所",
        "responsible_officer": "PC-0001", "control_level": "2"})
    assert response.status_code == 201, response.text
    key = response.json()
    assert key["state"] == "applied"
    kid = key["key_person_id"]

    by_police = await person_client.post(f"/v1/key-persons/{kid}/approve", json={}, headers=POLICE)
    assert by_police.status_code == 403
    elsewhere = await person_client.post(f"/v1/key-persons/{kid}/approve", json={}, headers=OTHER_SUPERVISOR)
    assert elsewhere.status_code == 403 and elsewhere.json()["record_division"] == TOWNSHIP
    early = await person_client.post(f"/v1/key-persons/{kid}/release", json={"reason": "x"}, headers=POLICE)
    assert early.status_code == 409 and "applied (列管申请)" in early.json()["detail"]

    approved = await person_client.post(f"/v1/key-persons/{kid}/approve", json={"remark": "同意列管"}, headers=SUPERVISOR)
    assert approved.json()["state"] == "listed"
    twice = await person_client.post(f"/v1/key-persons/{kid}/approve", json={}, headers=SUPERVISOR)
    assert twice.status_code == 409 and "listed (已列管)" in twice.json()["detail"]
    assert twice.json()["type"] == "key_person.illegal_transition"

    transfer = await person_client.post(f"/v1/key-persons/{kid}/transfer", headers=POLICE, json={
        "to_division_code": "532503002", "to_unit": "雨过铺派出所", "reason": "迁居"})
    assert transfer.status_code == 200, transfer.text
    moved = await person_client.post(f"/v1/key-persons/{kid}/approve", json={"remark": "同意转递"}, headers=SUPERVISOR)
    assert moved.status_code == 200
    record = await person_client.get(f"/v1/key-persons/{kid}", params={"min_version": moved.json()["version"]},
                                     headers=OTHER_SUPERVISOR)
    assert record.status_code == 200, record.text
    assert record.json()["division_code"] == "532503002" and record.json()["responsible_unit"] == "雨过铺派出所"
    old_jurisdiction = await person_client.post(f"/v1/key-persons/{kid}/release", json={"reason": "x"}, headers=POLICE)
    assert old_jurisdiction.status_code == 403, "after the transfer the old jurisdiction no longer acts on it"

    police_2 = headers("police", "532503002", "police-2")
    release = await person_client.post(f"/v1/key-persons/{kid}/release", json={"reason": "戒断三年"}, headers=police_2)
    assert release.json()["state"] == "release_applied"
    refused = await person_client.post(f"/v1/key-persons/{kid}/reject", json={"remark": ""}, headers=OTHER_SUPERVISOR)
    assert refused.status_code == 422
    released = await person_client.post(f"/v1/key-persons/{kid}/approve", json={"remark": "同意撤管"},
                                        headers=OTHER_SUPERVISOR)
    assert released.json()["state"] == "released"
    final = await person_client.get(f"/v1/key-persons/{kid}", params={"min_version": released.json()["version"]},
                                    headers=OTHER_SUPERVISOR)
    assert final.json()["state"] == "released"
    assert [step["step"] for step in final.json()["steps"]] == [
        "listing_applied", "KeyPersonListed", "KeyPersonTransferRequested", "KeyPersonTransferred",
        "KeyPersonReleaseApplied", "KeyPersonReleased"]


async def test_moving_to_another_township_hands_the_record_over_and_shows_where_they_live(
        person_client, address_client, police_headers):
    road = unique_name()
    here = await register_doorplate(address_client, police_headers, road, "1")
    response = await address_client.post("/v1/doorplates", json={"division_code": "532503002", "road_name": road,
                                                                 "number": "2"}, headers=police_headers)
    assert response.status_code == 201, response.text
    there = response.json()
    await known_to_replica(person_client, there["code"])
    person = await register(person_client, person_body("registered"))
    moved = await person_client.post(f"/v1/persons/{person['person_id']}/residence", headers=POLICE, json={
        "address_code": here["code"], "moved_in": "2020-01-01", "reason": "购房"})
    record = await read(person_client, moved.json())
    assert record["current_address"]["code"] == here["code"]
    assert record["current_address"]["full_name"].endswith(f"{road}1号") and record["division_code"] == TOWNSHIP

    moved = await person_client.post(f"/v1/persons/{person['person_id']}/residence", headers=POLICE, json={
        "address_code": there["code"], "moved_in": "2026-02-01", "reason": "市内迁移"})
    assert moved.status_code == 200, moved.text
    police_2 = headers("police", "532503002", "police-2")
    record = await read(person_client, moved.json(), police_2)
    assert record["division_code"] == "532503002" and record["current_address"]["code"] == there["code"]
    response = await person_client.get(f"/v1/persons/{person['person_id']}", headers=POLICE)
    assert response.status_code == 403, "the old township no longer owns the record"


async def test_code_tables_are_open_to_every_role(person_client):
    ethnicities = await person_client.get("/v1/ethnicities", headers=AGENCY)
    assert {"code": "07", "name": "彝族"} in ethnicities.json()["items"]
    categories = await person_client.get("/v1/key-person-categories", headers=COLLECTOR)
    assert {"code": "03", "name": "在逃人员"} in categories.json()["items"]


async def test_a_person_lives_in_a_generated_room(person_client, address_client, police_headers):
    plate = await register_doorplate(address_client, police_headers, unique_name(), "8")
    building = await address_client.post(f"/v1/doorplates/{plate['code']}/buildings",
                                         json={"building": "3栋", "units": 2, "floors": 15, "rooms_per_floor": 4},
                                         headers=police_headers)
    assert building.status_code == 201, building.text
    await read_doorplate(address_client, police_headers, building.json())
    rooms = await address_client.get(f"/v1/doorplates/{plate['code']}/rooms",
                                     params={"unit": 2, "floor": 12}, headers=police_headers)
    room = next(r for r in rooms.json()["items"] if r["label"].endswith("1203室"))
    await known_to_replica(person_client, room["code"])
    person = await register(person_client, person_body("migrant"))
    moved = await person_client.post(f"/v1/persons/{person['person_id']}/residence", headers=POLICE, json={
        "address_code": room["code"], "moved_in": "2026-01-06", "reason": "务工", "residence_type": "rental"})
    assert moved.status_code == 200, moved.text
    record = await read(person_client, moved.json())
    assert record["current_address"]["full_name"].endswith("3栋2单元1203室")
    [residence] = await residences(person_client, moved.json())
    assert residence["address"]["kind"] == "room" and residence["address_code"] == room["code"]


async def test_legacy_duplicates_merge_and_the_duplicate_answers_with_its_survivor(person_client):
    body = {**person_body("registered"), "legacy_import": True}
    survivor = await register(person_client, body)
    duplicate = await register(person_client, body)
    record = await read(person_client, duplicate)
    assert [e["rule"] for e in record["logic_errors"]] == ["person.duplicate"]
    merged = await person_client.post(f"/v1/persons/{duplicate['person_id']}/merge", headers=POLICE,
                                      json={"survivor_id": survivor["person_id"]})
    assert merged.status_code == 200, merged.text
    shown = await read(person_client, merged.json())
    assert shown["person_id"] == survivor["person_id"] and shown["redirected_from"] == duplicate["person_id"]
    found = await person_client.get("/v1/persons", params={"id_number": body["document_number"]}, headers=POLICE)
    assert [item["person_id"] for item in found.json()["items"]] == [survivor["person_id"]]
    again = await person_client.post("/v1/persons", json={**body, "legacy_import": False}, headers=POLICE)
    assert again.status_code == 409 and survivor["person_id"] in again.json()["detail"]


async def test_a_corrected_id_number_is_found_and_a_settled_migrant_loses_its_flags(person_client):
    today = datetime.now(CHINA).date()
    body = person_body("migrant", arrival_date=str(today - timedelta(days=10)))
    accepted = await register(person_client, body)
    assert "migrant_registered_late" in (await read(person_client, accepted))["flags"]
    right = fresh_id(date.fromisoformat(body["birth_date"]), body["sex"])
    corrected = await person_client.post(f"/v1/persons/{accepted['person_id']}/corrections", headers=POLICE, json={
        "changes": {"document_number": right}, "reason_code": "01", "remark": "录入错误"})
    assert corrected.status_code == 200, corrected.text
    record = await read(person_client, corrected.json())
    assert record["document_number"] == right
    assert record["corrections"][0]["old_values"]["document_number"] == body["document_number"]
    found = await person_client.get("/v1/persons", params={"id_number": right}, headers=POLICE)
    assert [item["person_id"] for item in found.json()["items"]] == [accepted["person_id"]]

    settled = await person_client.post(f"/v1/persons/{accepted['person_id']}/category", headers=POLICE, json={
        "details": {"category": "registered", "household_number": "5325030001", "relation_to_head": "户主",
                    "lives_at_registered_address": True}, "reason": "落户"})
    assert settled.status_code == 200, settled.text
    record = await read(person_client, settled.json())
    assert record["category"] == "registered" and record["flags"] == []
    assert record["category_history"][0]["from"] == "migrant"
