"""Every record type an agency may be granted, end to end on the real Kafka and MongoDB: the record in on the
agency's topic, its answer on the replies topic, and what a police officer then sees — the place and door plate
(pending at the approval level, approved by the police station), the building's rooms, the rental and tenant,
the unit with its licence and its employee, the released prisoner's 列管申请 in the approval queue, the hotel
stay's alert on the key-person watch — and ``field.not_permitted`` naming a field, never dropping it."""

from __future__ import annotations

import asyncio
import os
from contextlib import AsyncExitStack
from datetime import date, datetime, timedelta, timezone

import httpx
import pytest

from services.address.config import address_settings
from services.ingest import addresses as ingest_addresses
from services.unit.commands import LICENCE_EXAMPLE
from tests.integration.address_helpers import register_doorplate
from tests.integration.conftest import unique_name
from tests.integration.test_ingest_gate import Agency, bearer, person_fields, read, record_id, started

pytestmark = pytest.mark.integration

CIVIL, HOUSING, MARKET = "mz-civil-affairs", "mz-housing", "mz-market"
JUSTICE, HOTEL = "mz-justice", "wl-tianma-hotel"
POLICE = bearer("PC-0001", "police")
SUPERVISOR = bearer("SV-0001", "supervisor")
TOWNSHIP = "532503001"


@pytest.fixture(scope="module")
async def stack(settings):
    """The five services in-process, door plates approved by a police station (the approval path agencies'
    door-plate applications take)."""
    before = os.environ.get("YBSS_ADDRESS_APPROVAL_LEVEL")
    os.environ["YBSS_ADDRESS_APPROVAL_LEVEL"] = "police_station"
    address_settings.cache_clear()
    try:
        async with AsyncExitStack() as exits:
            clients = {name: await started(exits, name, name) for name in ("address", "person", "house", "unit",
                                                                           "ingest")}
            ingest_addresses.matcher.transport = httpx.ASGITransport(app=clients["address"].fastapi)
            ingest_addresses.matcher.base_url = "http://address"
            clients["agencies"] = {}
            for name in (CIVIL, HOUSING, MARKET, JUSTICE, HOTEL):
                clients["agencies"][name] = Agency(name, settings)
                await clients["agencies"][name].start()
            yield clients
            for agency in clients["agencies"].values():
                await agency.stop()
    finally:
        if before is None:
            os.environ.pop("YBSS_ADDRESS_APPROVAL_LEVEL", None)
        else:
            os.environ["YBSS_ADDRESS_APPROVAL_LEVEL"] = before
        address_settings.cache_clear()


async def accepted(agency: Agency, record: dict, timeout: float = 90.0) -> dict:
    """Send until accepted: a record naming a person or house another registry has just created is refused until
    that registry's replica knows it, and a resend is judged again (docs/INGEST.md)."""
    deadline = asyncio.get_running_loop().time() + timeout
    attempt, answer = 0, None
    while asyncio.get_running_loop().time() < deadline:
        attempt += 1
        await agency.send(record)
        answer = await agency.answer(record["record_id"], record.get("operation", "create"), count=attempt)
        if answer["status"] == "accepted":
            return answer
        assert all(reason["rule"] != "field.not_permitted" for reason in answer["reasons"]), answer
        await asyncio.sleep(1.0)
    raise AssertionError(f"{record['record_id']} never accepted: {answer}")


async def until(fetch, ready, timeout: float = 90.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await fetch()
        if ready(value):
            return value
        assert asyncio.get_running_loop().time() < deadline, f"never ready: {value}"
        await asyncio.sleep(0.5)


async def a_person(stack) -> dict:
    """A registered resident of 文澜街道 (by the civil-affairs agency): its fields and its person id."""
    fields = person_fields()
    answer = await accepted(stack["agencies"][CIVIL], {"record_id": record_id("MZ-P"), "entity_type": "person",
                                                       "fields": fields})
    return {**fields, "person_id": answer["entity_id"]}


# 民政: roads and door plates -------------------------------------------------------------------------------------
async def test_a_road_and_a_door_plate_application_from_civil_affairs(stack):
    civil, address = stack["agencies"][CIVIL], stack["address"]
    road = {"record_id": record_id("MZ-DM"), "entity_type": "place",
            "fields": {"element_type": 41, "name": unique_name(), "parent_code": TOWNSHIP}}
    place = await accepted(civil, road)
    assert place["entity_type"] == "place" and place["stream_id"] == f"place-{place['entity_id']}"
    renamed_to = unique_name()
    rename = {**road, "operation": "update", "fields": {"name": renamed_to, "reason": "地名委员会批复"}}
    renamed = await accepted(civil, rename)
    shown = await read(address, f"/v1/places/{place['entity_id']}", renamed["version"])
    assert shown["name"] == renamed_to

    application = {"record_id": record_id("MZ-MP"), "entity_type": "doorplate",
                   "fields": {"place_code": place["entity_id"], "number": "8"}}
    plate = await accepted(civil, application)
    shown = await read(address, f"/v1/doorplates/{plate['entity_id']}", plate["version"])
    assert shown["approval_state"] == "pending" and shown["source"] == "agency", shown  # 待审核
    approve = await address.post(f"/v1/doorplates/{plate['entity_id']}/approve", json={"remark": "实地核实"},
                                 headers=POLICE)
    assert approve.status_code == 200, approve.text
    shown = await read(address, f"/v1/doorplates/{plate['entity_id']}", approve.json()["version"])
    assert shown["approval_state"] == "approved"
    renumbered = await accepted(civil, {**application, "operation": "update", "fields": {
        **application["fields"], "number": "10", "reason": "门牌整顿"}})  # the whole record restated, one change
    shown = await read(address, f"/v1/doorplates/{plate['entity_id']}", renumbered["version"])
    assert shown["number"] == "10"

    # 住建: the building on the approved plate, with its floors and rooms
    building = {"record_id": record_id("ZJ-LD"), "entity_type": "building",
                "fields": {"address_code": plate["entity_id"], "building": "1栋", "units": 1, "floors": 3,
                           "rooms_per_floor": 2}}
    built = await accepted(stack["agencies"][HOUSING], building)
    assert built["entity_id"] == plate["entity_id"]
    rooms = await until(lambda: address.get(f"/v1/doorplates/{plate['entity_id']}/rooms", headers=POLICE),
                        lambda response: response.status_code == 200 and response.json()["total"] == 6)
    assert len(rooms.json()["items"]) == 6


# 住建: a house, its rental and tenant ---------------------------------------------------------------------------
async def test_a_rental_and_its_tenant_from_housing(stack):
    housing, house_api = stack["agencies"][HOUSING], stack["house"]
    plate = await register_doorplate(stack["address"], POLICE, unique_name(), "6")
    await stack["address"].post(f"/v1/doorplates/{plate['code']}/approve", json={}, headers=POLICE)
    tenant = await a_person(stack)
    house = await accepted(housing, {"record_id": record_id("ZJ-FW"), "entity_type": "house", "fields": {
        "address_code": plate["code"], "property_nature": "private", "use": "rented", "rooms": 3}})
    rental_record = {"record_id": record_id("ZJ-CZ"), "entity_type": "rental", "fields": {
        "house_id": house["entity_id"], "lessor": {"name": "赵六"}, "rooms_let": 2,
        "start": (date.today() - timedelta(days=3)).isoformat(), "security_person": {"name": "赵六"}}}
    rental = await accepted(housing, rental_record)
    house_id, rental_id = rental["entity_id"].split("/")
    assert house_id == house["entity_id"] and rental_id
    moved_in = {"record_id": record_id("ZJ-ZK"), "entity_type": "tenant", "fields": {
        "house_id": house_id, "rental_id": rental_id, "person_id": tenant["person_id"],
        "moved_in": (date.today() - timedelta(days=2)).isoformat()}}
    lodged = await accepted(housing, moved_in)
    assert lodged["entity_id"] == f"{house_id}/{rental_id}/{tenant['person_id']}"
    shown = await read(house_api, f"/v1/houses/{house_id}", lodged["version"])
    [let] = [r for r in shown["rentals"] if r["rental_id"] == rental_id]
    assert [t["person_id"] for t in let["tenants"]] == [tenant["person_id"]]

    left = await accepted(housing, {**moved_in, "operation": "cancel",
                                    "fields": {"moved_out": date.today().isoformat()}})
    shown = await read(house_api, f"/v1/houses/{house_id}", left["version"])
    [let] = [r for r in shown["rentals"] if r["rental_id"] == rental_id]
    assert let["tenants"][0]["moved_out"] == date.today().isoformat()


# 市场监管 and a hotel: a unit with its licence, then its employee --------------------------------------------------
async def test_a_unit_with_licences_and_an_employee_reported_by_the_hotel(stack):
    plate = await register_doorplate(stack["address"], POLICE, unique_name(), "9")
    await stack["address"].post(f"/v1/doorplates/{plate['code']}/approve", json={}, headers=POLICE)
    market = stack["agencies"][MARKET]
    unit_record = {"record_id": record_id("SJ"), "entity_type": "unit", "fields": {
        "name": f"天马宾馆{unique_name()}", "industry_code": "H61", "address_code": plate["code"],
        "unit_type": "individual_business", "licences": [LICENCE_EXAMPLE]}}
    unit = await accepted(market, unit_record)
    shown = await read(stack["unit"], f"/v1/units/{unit['entity_id']}", unit["version"])
    assert [licence["number"] for licence in shown["licences"]] == [LICENCE_EXAMPLE["number"]]

    # an update applies what it carries: the USCC and the reason were dropped before
    updated = await accepted(market, {**unit_record, "operation": "update", "fields": {
        "uscc": "91532503MA6K0001XK", "phone": "0873-3712345", "reason": "营业执照变更"}})
    shown = await read(stack["unit"], f"/v1/units/{unit['entity_id']}", updated["version"])
    assert shown["uscc"] == "91532503MA6K0001XK" and shown["phone"] == "0873-3712345"

    worker = await a_person(stack)
    hired = await accepted(stack["agencies"][HOTEL], {"record_id": record_id("TM-YG"), "entity_type": "employee",
                                                      "fields": {"unit_id": unit["entity_id"],
                                                                 "person_id": worker["person_id"], "position": "前台",
                                                                 "hired": date.today().isoformat()}})
    assert hired["entity_id"] == f"{unit['entity_id']}/{worker['person_id']}"
    shown = await read(stack["unit"], f"/v1/units/{unit['entity_id']}", hired["version"])
    assert [e["person_id"] for e in shown["employees"]] == [worker["person_id"]]


# 司法局: a released prisoner becomes a 列管申请 ----------------------------------------------------------------------
async def test_a_released_prisoner_lands_in_the_approval_queue_of_the_jurisdiction(stack):
    person = await a_person(stack)
    handed_over = await accepted(stack["agencies"][JUSTICE], {
        "record_id": record_id("SF"), "entity_type": "released_prisoner", "fields": {
            "document_number": person["document_number"], "problem": "盗窃罪刑满释放",
            "released_on": (date.today() - timedelta(days=5)).isoformat(), "offence": "盗窃罪",
            "responsible_unit": "文澜派出所", "responsible_officer": "PC-0001", "control_level": "3"}})
    key_person_id = handed_over["entity_id"]
    queue = await until(lambda: stack["person"].get("/v1/key-persons", params={
        "state": "applied", "person_id": person["person_id"]}, headers=SUPERVISOR),
        lambda response: response.status_code == 200 and response.json()["items"])
    [item] = queue.json()["items"]
    assert item["key_person_id"] == key_person_id and item["category_code"] == "09"
    assert item["division_code"] == person["division_code"] and "盗窃罪" in item["problem"]
    approved = await stack["person"].post(f"/v1/key-persons/{key_person_id}/approve", json={"remark": "同意列管"},
                                          headers=SUPERVISOR)
    assert approved.status_code == 200 and approved.json()["state"] == "listed", approved.text

    unknown = {"record_id": record_id("SF"), "entity_type": "released_prisoner", "fields": {
        "document_number": person_fields()["document_number"], "problem": "x", "responsible_unit": "文澜派出所",
        "responsible_officer": "PC-0001", "control_level": "3"}}
    await stack["agencies"][JUSTICE].send(unknown)
    refused = await stack["agencies"][JUSTICE].answer(unknown["record_id"])
    assert [(r["field"], r["rule"]) for r in refused["reasons"]] == [("document_number", "person.unknown")]


# 旅馆业: a listed key person's hotel stay raises the watch's alert -------------------------------------------------
async def test_a_hotel_stay_of_a_listed_key_person_raises_the_hotel_stay_alert(stack):
    person, people = await a_person(stack), stack["person"]
    applied = await people.post("/v1/key-persons", json={
        "person_id": person["person_id"], "category_code": "02", "problem": "涉稳", "responsible_unit": "文澜派出所",
        "responsible_officer": "PC-0001", "control_level": "2"}, headers=POLICE)
    assert applied.status_code == 201, applied.text
    listed = await people.post(f"/v1/key-persons/{applied.json()['key_person_id']}/approve",
                               json={"remark": "同意"}, headers=SUPERVISOR)
    assert listed.status_code == 200, listed.text

    checked_in = datetime.now(timezone.utc).isoformat()
    stay = await accepted(stack["agencies"][HOTEL], {"record_id": record_id("TM-ZS"), "entity_type": "hotel_stay",
                                                     "fields": {"document_number": person["document_number"],
                                                                "name": person["name"], "hotel_name": "天马宾馆",
                                                                "division_code": TOWNSHIP, "room": "305",
                                                                "checked_in": checked_in}})
    assert stay["stream_id"] == f"hotelstay-{stay['entity_id']}"
    alerts = await until(lambda: people.get("/v1/watch/alerts", params={"person_id": person["person_id"]},
                                            headers=POLICE),
                         lambda response: response.status_code == 200 and any(
                             item["rule"] == "hotel_stay" for item in response.json()["items"]))
    [alert] = [item for item in alerts.json()["items"] if item["rule"] == "hotel_stay"]
    assert alert["person_id"] == person["person_id"], alert

    wrong_name = {"record_id": record_id("TM-ZS"), "entity_type": "hotel_stay", "fields": {
        "document_number": person["document_number"], "name": "李四", "hotel_name": "天马宾馆",
        "division_code": TOWNSHIP, "checked_in": checked_in}}
    await stack["agencies"][HOTEL].send(wrong_name)
    refused = await stack["agencies"][HOTEL].answer(wrong_name["record_id"])
    assert [(r["field"], r["rule"]) for r in refused["reasons"]] == [("name", "hotel_stay.name_mismatch")]


# field.not_permitted -----------------------------------------------------------------------------------------------
async def test_a_field_not_granted_or_not_applicable_is_refused_by_name_never_dropped(stack):
    civil, housing = stack["agencies"][CIVIL], stack["agencies"][HOUSING]
    # not granted: the gate answers at once, naming the field
    sneaky = {"record_id": record_id("MZ-MP"), "entity_type": "doorplate",
              "fields": {"division_code": TOWNSHIP, "road_name": unique_name(), "number": "1", "allow_duplicate": True}}
    await civil.send(sneaky)
    refused = await civil.answer(sneaky["record_id"])
    assert refused["status"] == "rejected"
    assert [(r["field"], r["rule"]) for r in refused["reasons"]] == [("allow_duplicate", "field.not_permitted")]
    # granted, but a create does not apply it
    early = {"record_id": record_id("MZ-MP"), "entity_type": "doorplate", "fields": {
        "division_code": TOWNSHIP, "road_name": unique_name(), "number": "1", "retired_on": date.today().isoformat()}}
    await civil.send(early)
    refused = await civil.answer(early["record_id"])
    assert [(r["field"], r["rule"]) for r in refused["reasons"]] == [("retired_on", "field.not_permitted")]

    # an update restating its record unchanged is applied; changing what an update does not apply is refused
    plate = await register_doorplate(stack["address"], POLICE, unique_name(), "3")
    await stack["address"].post(f"/v1/doorplates/{plate['code']}/approve", json={}, headers=POLICE)
    record = {"record_id": record_id("ZJ-FW"), "entity_type": "house", "fields": {
        "address_code": plate["code"], "property_nature": "private", "use": "self_occupied",
        "management_level": "normal"}}
    house = await accepted(housing, record)
    whole = {**record, "operation": "update", "fields": {**record["fields"], "area": 75.5}}
    updated = await accepted(housing, whole)
    shown = await read(stack["house"], f"/v1/houses/{house['entity_id']}", updated["version"])
    assert shown["area"] == 75.5
    changed = {**record, "operation": "update", "fields": {**record["fields"], "management_level": "attention"}}
    await housing.send(changed)
    refused = await housing.answer(record["record_id"], "update", status="rejected")
    assert [(r["field"], r["rule"]) for r in refused["reasons"]] == [("management_level", "field.not_permitted")]
    shown = await read(stack["house"], f"/v1/houses/{house['entity_id']}", updated["version"])
    assert shown["management_level"] == "normal"


async def test_an_http_batch_of_roads_and_a_refused_field_over_http(stack):
    """The same table over HTTP: a batch of roads is answered in its status; a batch carrying a field the
    operation does not apply is refused whole (422) naming the record and the field."""
    headers = bearer(CIVIL, "agency")
    roads = [{"record_id": record_id("MZ-DM"), "entity_type": "place",
              "fields": {"element_type": 41, "name": unique_name(), "parent_code": TOWNSHIP}} for _ in range(3)]
    response = await stack["ingest"].post(f"/v1/ingest/{CIVIL}/batches", json={"records": roads}, headers=headers)
    assert response.status_code == 202, response.text
    status = await until(lambda: stack["ingest"].get(response.json()["status_url"], headers=headers),
                         lambda answer: answer.json()["done"])
    assert status.json()["accepted"] == 3, status.json()

    wrong = [{**roads[0], "record_id": record_id("MZ-DM"), "fields": {**roads[0]["fields"], "retired_on": "2026-01-01"}}]
    refused = await stack["ingest"].post(f"/v1/ingest/{CIVIL}/batches", json={"records": wrong}, headers=headers)
    assert refused.status_code == 422, refused.text
    [detail] = refused.json()["detail"]
    assert detail["type"] == "field.not_permitted" and detail["loc"][-1] == "retired_on", detail
