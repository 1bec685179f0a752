"""Changes after registration on the real stack (issue 18): a migrant's residence permit (居住证) issued and renewed,
a foreigner's permitted stay (停留期限) extended, each an event of its own; the deadline flags follow at once in the
person's record and in the deadlines list an officer works from."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from tests.integration.address_helpers import register_doorplate
from tests.integration.conftest import unique_name
from tests.integration.test_person_api import (  # noqa: F401 - person_client: the person service, in-process
    CHINA, POLICE, SUPERVISOR, headers, person_body, person_client, read, register, residences,
)

pytestmark = pytest.mark.integration

PATIENCE = 90.0  #: seconds a read model is given to show a change (it usually takes well under one)
OTHER_COUNTY_POLICE = headers("police", "532502", "police-gejiu")


async def post(client, path: str, body: dict, as_: dict = POLICE, expect: int = 200) -> dict:
    response = await client.post(path, json=body, headers=as_)
    assert response.status_code == expect, response.text
    return response.json()


async def listed(client, flag: str, person_id: str, present: bool) -> bool:
    """Whether the deadlines list shows the person under ``flag`` as ``present`` asks, polled (the list is a read
    model, fed through Kafka) until it does or PATIENCE runs out."""
    deadline = asyncio.get_running_loop().time() + PATIENCE
    while True:
        response = await client.get("/v1/persons/deadlines", headers=SUPERVISOR, params={
            "flag": flag, "as_of": datetime.now(CHINA).isoformat(), "limit": 200})
        assert response.status_code == 200, response.text
        shown = person_id in {item["person_id"] for item in response.json()["items"]}
        if shown is present or asyncio.get_running_loop().time() > deadline:
            return shown
        await asyncio.sleep(0.5)


async def test_a_migrants_permit_issued_then_renewed_moves_the_expiring_flag(person_client):
    today = datetime.now(CHINA).date()
    migrant = await register(person_client, person_body("migrant", arrival_date=str(today - timedelta(days=1)),
                                                  residence_permit_number=None, residence_permit_expiry=None))
    pid = migrant["person_id"]
    assert (await read(person_client, migrant))["flags"] == []

    issued = await post(person_client, f"/v1/persons/{pid}/residence-permit", {
        "permit_number": "53250320260101", "issued_on": str(today), "expires_on": str(today + timedelta(days=10)),
        "expected_version": migrant["version"]})
    record = await read(person_client, issued)
    assert record["flags"] == ["residence_permit_expiring"]
    assert record["details"]["residence_permit_number"] == "53250320260101"
    assert await listed(person_client, "residence_permit_expiring", pid, present=True)

    stale = await person_client.post(f"/v1/persons/{pid}/residence-permit", headers=POLICE, json={
        "permit_number": "53250320260102", "issued_on": str(today), "expires_on": str(today + timedelta(days=365)),
        "expected_version": migrant["version"]})
    assert stale.status_code == 409, stale.text

    renewed = await post(person_client, f"/v1/persons/{pid}/residence-permit", {
        "permit_number": "53250320260102", "issued_on": str(today), "expires_on": str(today + timedelta(days=365)),
        "expected_version": issued["version"]})
    record = await read(person_client, renewed)
    assert record["flags"] == [] and record["details"]["residence_permit_expiry"] == str(today + timedelta(days=365))
    assert not await listed(person_client, "residence_permit_expiring", pid, present=False)


async def test_a_foreigners_stay_extended_clears_the_overstay(person_client):
    today, now = datetime.now(CHINA).date(), datetime.now(CHINA)
    foreigner = await register(person_client, person_body(
        "foreigner", entry_date=str(today - timedelta(days=30)), permitted_stay_until=str(today - timedelta(days=2)),
        arrived_at=(now - timedelta(days=29)).isoformat(), accommodation="hotel"))
    pid = foreigner["person_id"]
    assert (await read(person_client, foreigner))["flags"] == ["foreigner_overstay"]
    assert await listed(person_client, "foreigner_overstay", pid, present=True)

    extended = await post(person_client, f"/v1/persons/{pid}/stay", {
        "permitted_stay_until": str(today + timedelta(days=90)), "visa_type": "S1", "visa_number": "V20261203"})
    record = await read(person_client, extended)
    assert record["flags"] == []
    assert (record["details"]["visa_type"], record["details"]["visa_number"]) == ("S1", "V20261203")
    assert not await listed(person_client, "foreigner_overstay", pid, present=False)


async def test_the_openapi_examples_are_accepted(person_client):
    spec = person_client.fastapi.openapi()

    def example(path: str) -> dict:
        body = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        return spec["components"]["schemas"][body.split("/")[-1]]["examples"][0]

    migrant = await register(person_client, person_body("migrant"))
    await post(person_client, f"/v1/persons/{migrant['person_id']}/residence-permit",
               example("/v1/persons/{person_id}/residence-permit"))
    foreigner = await register(person_client, person_body("foreigner"))
    await post(person_client, f"/v1/persons/{foreigner['person_id']}/stay", example("/v1/persons/{person_id}/stay"))


async def attempt(client, person: dict, change: str, body: dict, as_: dict = POLICE):
    return await client.post(f"/v1/persons/{person['person_id']}/{change}", json=body, headers=as_)


async def test_bad_bodies_and_categories_are_422s_naming_the_field_or_rule(person_client):
    today = datetime.now(CHINA).date()
    migrant = await register(person_client, person_body("migrant"))
    missing = await attempt(person_client, migrant, "residence-permit",
                            {"permit_number": "53250320260103", "issued_on": str(today)})
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"][-1] == "expires_on", missing.text
    backwards = await attempt(person_client, migrant, "residence-permit", {
        "permit_number": "53250320260103", "issued_on": str(today), "expires_on": str(today - timedelta(days=1))})
    assert backwards.status_code == 422 and backwards.json()["detail"][0]["loc"][-1] == "expires_on", backwards.text

    resident = await register(person_client, person_body("registered"))
    refused = await attempt(person_client, resident, "residence-permit", {
        "permit_number": "53250320260104", "issued_on": str(today), "expires_on": str(today + timedelta(days=365))})
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"][0]["type"] == "residence_permit.not_migrant"
    no_stay = await attempt(person_client, migrant, "stay", {"permitted_stay_until": str(today + timedelta(days=30))})
    assert no_stay.status_code == 422 and no_stay.json()["detail"][0]["type"] == "stay.not_foreigner", no_stay.text
    bad_date = await attempt(person_client, migrant, "stay", {"permitted_stay_until": "不是日期"})
    assert bad_date.status_code == 422 and bad_date.json()["detail"][0]["loc"][-1] == "permitted_stay_until"


async def test_another_countys_police_and_an_agency_cannot_change_the_permit_or_the_stay(person_client):
    today = datetime.now(CHINA).date()
    migrant = await register(person_client, person_body("migrant"))
    foreigner = await register(person_client, person_body("foreigner"))
    permit = {"permit_number": "53250320260105", "issued_on": str(today),
              "expires_on": str(today + timedelta(days=365))}
    elsewhere = await attempt(person_client, migrant, "residence-permit", permit, OTHER_COUNTY_POLICE)
    stay = await attempt(person_client, foreigner, "stay", {"permitted_stay_until": str(today + timedelta(days=365))},
                         OTHER_COUNTY_POLICE)
    assert elsewhere.status_code in (403, 404) and stay.status_code in (403, 404), (elsewhere.text, stay.text)
    agency = await attempt(person_client, migrant, "residence-permit", permit, headers("agency"))
    assert agency.status_code == 403, agency.text
    assert (await read(person_client, migrant))["details"]["residence_permit_number"] != "53250320260105"


async def test_a_migrant_settles_keeping_the_history_and_losing_the_migrant_flags(person_client):
    today = datetime.now(CHINA).date()
    migrant = await register(person_client, person_body("migrant", arrival_date=str(today - timedelta(days=20)),
                                                        residence_permit_expiry=str(today + timedelta(days=5))))
    assert (await read(person_client, migrant))["flags"] == ["migrant_registered_late", "residence_permit_expiring"]
    body = {"settled_on": str(today), "household_number": "532503001299", "relation_to_head": "户主",
            "reason": "购房落户", "expected_version": migrant["version"]}
    elsewhere = await attempt(person_client, migrant, "settle", body, OTHER_COUNTY_POLICE)
    assert elsewhere.status_code in (403, 404), elsewhere.text
    by_collector = await attempt(person_client, migrant, "settle", body, headers("collector"))
    assert by_collector.status_code == 403, by_collector.text
    early = await attempt(person_client, migrant, "settle", {**body, "settled_on": str(today - timedelta(days=30))})
    assert early.status_code == 422 and early.json()["detail"][0]["loc"][-1] == "settled_on", early.text

    settled = await post(person_client, f"/v1/persons/{migrant['person_id']}/settle", body)
    record = await read(person_client, settled)
    assert record["category"] == "registered" and record["details"]["household_number"] == "532503001299"
    assert record["flags"] == []
    assert [(step["from"], step["to"], step["reason"]) for step in record["category_history"]] == [
        ("migrant", "registered", "购房落户")]
    assert not await listed(person_client, "residence_permit_expiring", migrant["person_id"], present=False)
    again = await attempt(person_client, migrant, "settle", {**body, "expected_version": None})
    assert again.status_code == 422 and again.json()["detail"][0]["type"] == "settle.not_migrant", again.text


async def moved_in(client, person: dict, code: str, **fields) -> dict:
    """入住 at a plate just registered: the person service's address replica may not know it yet (422 until it
    does), so the move-in is retried within PATIENCE."""
    deadline = asyncio.get_running_loop().time() + PATIENCE
    while True:
        response = await attempt(client, person, "residence", {"address_code": code, **fields})
        if response.status_code != 422 or asyncio.get_running_loop().time() > deadline:
            assert response.status_code == 200, response.text
            return response.json()
        await asyncio.sleep(0.5)


async def test_a_residences_reason_type_and_host_change_by_their_own_event(person_client, address_client,
                                                                        police_headers):
    today = datetime.now(CHINA).date()
    lodger = await register(person_client, person_body("migrant", arrival_date=str(today - timedelta(days=20))))
    host = await register(person_client, person_body("registered"))
    change = {"residence_type": "lodging", "host_person_id": host["person_id"], "residence_reason": "经商",
              "changed_on": str(today - timedelta(days=2))}
    nowhere = await attempt(person_client, lodger, "residence-details", change)
    assert nowhere.status_code == 422 and nowhere.json()["detail"][0]["loc"][-1] == "residence", nowhere.text

    plate = await register_doorplate(address_client, police_headers, unique_name(), "6")
    home = await moved_in(person_client, lodger, plate["code"], moved_in=str(today - timedelta(days=10)),
                          reason="务工", residence_type="rental", owner_name="王强")
    unknown = await attempt(person_client, lodger, "residence-details", {**change, "host_person_id": "P-nobody"})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"][-1] == "host_person_id", unknown.text
    same = await attempt(person_client, lodger, "residence-details", {"residence_type": "rental",
                                                                       "changed_on": str(today)})
    assert same.status_code == 422 and same.json()["detail"][0]["loc"][-1] == "residence_type", same.text
    early = await attempt(person_client, lodger, "residence-details",
                          {**change, "changed_on": str(today - timedelta(days=11))})
    assert early.status_code == 422 and early.json()["detail"][0]["loc"][-1] == "changed_on", early.text
    elsewhere = await attempt(person_client, lodger, "residence-details", change, OTHER_COUNTY_POLICE)
    assert elsewhere.status_code in (403, 404), elsewhere.text
    agency = await attempt(person_client, lodger, "residence-details", change, headers("agency"))
    assert agency.status_code == 403, agency.text

    changed = await post(person_client, f"/v1/persons/{lodger['person_id']}/residence-details",
                         {**change, "expected_version": home["version"]})
    assert changed["version"] == home["version"] + 1, "one event of its own"
    [current] = await residences(person_client, changed)
    assert current["current"] and current["address_code"] == plate["code"]
    assert (current["moved_in"], current["reason"], current["residence_type"], current["host_person_id"],
            current["owner_name"], current["details_changed_on"]) == (
        str(today - timedelta(days=10)), "经商", "lodging", host["person_id"], "王强", change["changed_on"])


async def test_an_unregistered_person_is_entered_in_a_household_keeping_the_history(person_client):
    today = datetime.now(CHINA).date()
    unregistered = await register(person_client, person_body("unregistered"))
    body = {"household_number": "532503001288", "relation_to_head": "子", "registered_on": str(today),
            "reason": "补录户口", "expected_version": unregistered["version"]}
    elsewhere = await attempt(person_client, unregistered, "register-household", body, OTHER_COUNTY_POLICE)
    assert elsewhere.status_code in (403, 404), elsewhere.text
    by_collector = await attempt(person_client, unregistered, "register-household", body, headers("collector"))
    assert by_collector.status_code == 403, by_collector.text
    future = await attempt(person_client, unregistered, "register-household",
                           {**body, "registered_on": str(today + timedelta(days=1))})
    assert future.status_code == 422 and future.json()["detail"][0]["loc"][-1] == "registered_on", future.text
    empty = await attempt(person_client, unregistered, "register-household", {"registered_on": str(today)})
    assert empty.status_code == 422 and {error["loc"][-1] for error in empty.json()["detail"]} >= {
        "household_number", "relation_to_head"}, empty.text

    entered = await post(person_client, f"/v1/persons/{unregistered['person_id']}/register-household", body)
    record = await read(person_client, entered)
    assert record["category"] == "registered" and record["details"]["household_number"] == "532503001288"
    assert record["details"]["relation_to_head"] == "子" and record["details"]["moved_in_on"] == str(today)
    assert [(step["from"], step["to"], step["reason"]) for step in record["category_history"]] == [
        ("unregistered", "registered", "补录户口")]
    again = await attempt(person_client, unregistered, "register-household", {**body, "expected_version": None})
    assert again.status_code == 422 and again.json()["detail"][0]["type"] == "register_household.not_unregistered", \
        again.text
