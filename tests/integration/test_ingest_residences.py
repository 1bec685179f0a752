"""居住登记 sent by an agency (the ``city-load`` agency of ``ybss city load``) on the real Kafka and MongoDB: the
residence shows where a police officer looks — 查人知住 (the person's whereabouts) and 以房管人 (the house's
occupants) — a record sent twice answers the same and makes one residence, and a bad record is refused naming
the field and rule."""

from __future__ import annotations

from contextlib import AsyncExitStack

import httpx
import pytest

from services.ingest import addresses as ingest_addresses
from tests.integration.test_ingest_gate import Agency, person_fields, plate_known, read, record_id, started
from tests.integration.test_ingest_records import POLICE, accepted

pytestmark = pytest.mark.integration

CITY_LOAD = "city-load"  #: granted persons and residences for 532503 (services/ingest/agencies.json)


@pytest.fixture(scope="module")
async def stack(settings):
    async with AsyncExitStack() as exits:
        clients = {name: await started(exits, name, name) for name in ("address", "person", "house", "ingest")}
        ingest_addresses.matcher.transport = httpx.ASGITransport(app=clients["address"].fastapi)
        ingest_addresses.matcher.base_url = "http://address"
        clients["agency"] = Agency(CITY_LOAD, settings)
        await clients["agency"].start()
        yield clients
        await clients["agency"].stop()


def token(answer: dict) -> str:
    return f"{answer['stream_id']}:{answer['version']}"


async def test_a_residence_from_an_agency_is_seen_by_whereabouts_and_occupants_once(stack):
    agency, person_api, house_api = stack["agency"], stack["person"], stack["house"]
    plate = await plate_known(stack, "person", "house")
    house = await house_api.post("/v1/houses", headers=POLICE, json={
        "address_code": plate["code"], "property_nature": "private", "use": "self_occupied", "area": 80})
    assert house.status_code == 201, house.text
    person = await accepted(agency, {"record_id": record_id("CL-P"), "entity_type": "person",
                                     "fields": person_fields()})
    person_id = person["entity_id"]

    record = {"record_id": record_id("CL-S"), "entity_type": "residence", "fields": {
        "person_id": person_id, "address_code": plate["code"], "moved_in": "2026-11-20", "reason": "居住",
        "residence_type": "own"}}
    moved = await accepted(agency, record)
    assert (moved["entity_type"], moved["entity_id"], moved["stream_id"]) == ("residence", person_id,
                                                                             f"person-{person_id}")

    # 查人知住: where the person lives now
    seen = await read(person_api, f"/v1/persons/{person_id}/whereabouts", moved["version"])
    assert (seen["residence"]["address_code"], seen["residence"]["since"], seen["residence"]["residence_type"]) == (
        plate["code"], "2026-11-20", "own")
    # 以房管人: who lives in the house
    occupants = await house_api.get(f"/v1/houses/{house.json()['house_id']}/occupants", headers=POLICE,
                                    params={"after": [token(moved)]})
    assert occupants.status_code == 200, occupants.text
    assert [resident["person_id"] for resident in occupants.json()["residents"]] == [person_id]

    # sent again (a lost answer, a retried batch): the same answer, still one residence
    answers_before = len(agency.replies[record["record_id"]])
    await agency.send(record)
    again = await agency.answer(record["record_id"], count=answers_before + 1)
    assert again["reply_id"] == moved["reply_id"] and again["version"] == moved["version"]
    history = await read(person_api, f"/v1/persons/{person_id}/residences", moved["version"])
    assert history["total"] == 1 and history["items"][0]["address_code"] == plate["code"]


async def test_a_bad_residence_record_is_refused_naming_the_field_and_rule(stack):
    agency = stack["agency"]
    plate = await plate_known(stack, "person")
    person = await accepted(agency, {"record_id": record_id("CL-P"), "entity_type": "person",
                                     "fields": person_fields()})
    bad = {"record_id": record_id("CL-S"), "entity_type": "residence", "fields": {
        "person_id": person["entity_id"], "address_code": plate["code"], "moved_in": "2026-11-20", "reason": "居住",
        "residence_type": "castle"}}
    await agency.send(bad)
    refused = await agency.answer(bad["record_id"])
    assert refused["status"] == "rejected"
    assert [(reason["field"], reason["rule"]) for reason in refused["reasons"]] == [("residence_type", "literal_error")]
    assert refused["reasons"][0]["msg_zh"]

    granted_not = {"record_id": record_id("CL-S"), "entity_type": "residence", "fields": {
        **bad["fields"], "residence_type": "own", "host_person_id": person["entity_id"]}}
    await agency.send(granted_not)
    refused = await agency.answer(granted_not["record_id"])
    assert [(reason["field"], reason["rule"]) for reason in refused["reasons"]] == [
        ("host_person_id", "field.not_permitted")]
    history = await read(stack["person"], f"/v1/persons/{person['entity_id']}/residences", person["version"])
    assert history["total"] == 0
