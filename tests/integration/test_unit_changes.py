"""Issue 18 on the real stack: a unit renamed (名称变更) and given a new legal representative (法定代表人变更), and
key units and key locations (重点单位/重点部位) listed by request and approval, as an officer and a supervisor see
them. Every wait polls with a generous deadline (the unit's replicas learn plates and persons from Kafka)."""

from __future__ import annotations

import asyncio

import pytest

from services.kernel.web.auth import mint_token
from services.unit.commands import (
    ChangeLegalRepresentative, ReleaseKeyListing, RenameUnit, RequestKeyLocation, RequestKeyUnit,
)
from services.unit.persons import UNIT_PERSONS
from tests.integration.address_helpers import register_doorplate
from tests.integration.conftest import unique_name
from tests.integration.person_facts import linkable
from tests.integration.test_house_unit_lifecycle import field_of, once_known, outsider, posted, read
from tests.integration.test_unit_registry import unit_client  # noqa: F401 - the unit service in-process

pytestmark = pytest.mark.integration

DEADLINE = 90.0


def token(role: str, org: str = "532503", sub: str = "T-1") -> dict:
    return {"Authorization": "Bearer " + mint_token(sub, role, org)}


SUPERVISOR = token("supervisor", sub="SV-0117")


async def registered_unit(address_client, unit, headers, name: str) -> tuple[str, dict]:
    plate = await register_doorplate(address_client, headers, unique_name(), "6")
    answer = await once_known(unit, "/v1/units", {"name": name, "industry_code": "O80", "address_code": plate["code"],
                                                  "opened_on": "2020-05-01"}, headers, 201)
    return f"/v1/units/{answer['unit_id']}", answer


async def listed(unit, path: str, unit_id: str, headers: dict) -> list[dict]:
    """The list's items of this unit, once there are any (the registry follows within seconds)."""
    deadline = asyncio.get_running_loop().time() + DEADLINE
    while True:
        response = await unit.get(path, params={"limit": 1000}, headers=headers)
        assert response.status_code == 200, response.text
        items = [item for item in response.json()["items"] if item["unit_id"] == unit_id]
        if items:
            return items
        assert asyncio.get_running_loop().time() < deadline, f"{unit_id} never appeared in {path}"
        await asyncio.sleep(0.3)


async def test_a_renamed_unit_keeps_its_former_name_and_its_former_representative(
        address_client, unit_client, police_headers, settings):
    unit = unit_client
    base, registered = await registered_unit(address_client, unit, police_headers, "变更测试洗浴中心")

    assert set(field_of(await unit.post(f"{base}/rename", json={}, headers=police_headers))) == {"name", "renamed_on"}
    assert field_of(await unit.post(f"{base}/rename", json={"name": "新名", "renamed_on": "2019-12-31"},
                                    headers=police_headers)) == ["renamed_on"], "before the unit opened"
    assert field_of(await unit.post(f"{base}/rename", json={"name": "变更测试洗浴中心", "renamed_on": "2026-11-01"},
                                    headers=police_headers)) == ["name"]
    outside = await unit.post(f"{base}/rename", json={"name": "新名", "renamed_on": "2026-11-01"}, headers=outsider())
    assert outside.status_code == 403 and outside.json()["record_division"].startswith("532503"), outside.text
    wrong_role = await unit.post(f"{base}/rename", json={"name": "新名", "renamed_on": "2026-11-01"},
                                 headers=SUPERVISOR)
    assert wrong_role.status_code == 403, wrong_role.text
    unknown = await unit.post("/v1/units/U-none/rename", json={"name": "新名", "renamed_on": "2026-11-01"},
                              headers=police_headers)
    assert unknown.status_code == 404, unknown.text

    example = RenameUnit.model_json_schema()["examples"][0]  # the documented body, at the unit's version
    renamed = await posted(unit, f"{base}/rename", {**example, "expected_version": registered["version"]},
                           police_headers)
    record = await read(unit, base, renamed, police_headers)
    assert (record["name"], record["renamed_on"]) == (example["name"], example["renamed_on"])
    assert record["former_names"] == [{"name": "变更测试洗浴中心", "until": example["renamed_on"]}]
    by_old_name = await unit.get("/v1/units", params={"name": "变更测试洗浴中心"}, headers=police_headers)
    assert registered["unit_id"] in [u["unit_id"] for u in by_old_name.json()["items"]], "曾用名 still finds it"

    assert field_of(await unit.post(f"{base}/legal-representative", json={"changed_on": "2026-11-01"},
                                    headers=police_headers)) == ["legal_representative"]
    assert field_of(await unit.post(f"{base}/legal-representative", json={
        "legal_representative": {"name": "赵六"}, "changed_on": "2999-01-01"}, headers=police_headers)) == [
        "changed_on"]
    heir = await linkable(settings, unit, UNIT_PERSONS)
    first = await posted(unit, f"{base}/legal-representative", {"legal_representative": {"person_id": heir},
                                                                "changed_on": "2026-10-01"}, police_headers)
    documented = ChangeLegalRepresentative.model_json_schema()["examples"][0]
    second = await posted(unit, f"{base}/legal-representative", {**documented, "expected_version": first["version"]},
                          police_headers)
    record = await read(unit, base, second, police_headers)
    assert record["legal_representative"]["name"] == documented["legal_representative"]["name"]
    assert [(f["person_id"], f["until"]) for f in record["former_legal_representatives"]] == [(heir, "2026-11-01")]
    stale = await unit.post(f"{base}/legal-representative", json={**documented, "expected_version": 1},
                            headers=police_headers)
    assert stale.status_code == 409, stale.text


async def test_a_key_unit_and_its_key_locations_are_listed_by_request_and_approval(
        address_client, unit_client, police_headers):
    unit = unit_client
    base, registered = await registered_unit(address_client, unit, police_headers, "列管测试留宿洗浴")
    unit_id = registered["unit_id"]
    trade = await posted(unit, f"{base}/special-trades", {"trade": "overnight_bath", "since": "2026-09-01"},
                         police_headers)
    record = await read(unit, base, trade, police_headers)
    assert record["special_trades"][0]["name"] == "留宿洗浴场所"
    assert [d["trade"] for d in record["inspections_due"]] == ["overnight_bath"], "on the 30-day cycle"

    assert field_of(await unit.post(f"{base}/key-unit", json={}, headers=police_headers)) == ["reason"]
    collector = await unit.post(f"{base}/key-unit", json={"reason": "人员密集"}, headers=token("collector"))
    assert collector.status_code == 403, collector.text
    requested = await posted(unit, f"{base}/key-unit", RequestKeyUnit.model_json_schema()["examples"][0] | {
        "expected_version": trade["version"]}, police_headers)
    again = await unit.post(f"{base}/key-unit", json={"reason": "再次申请"}, headers=police_headers)
    assert again.status_code == 409 and again.json()["type"] == "key_unit.illegal_transition", again.text
    pending = await listed(unit, "/v1/key-units/requests", unit_id, SUPERVISOR)
    assert [(i["kind"], i["state"], i["requested_by"]) for i in pending] == [("key_unit", "pending", "PC-0001")]

    police_decides = await unit.post(f"{base}/key-unit/approve", json={}, headers=police_headers)
    assert police_decides.status_code == 403, "police request, a supervisor decides"
    neighbour = await unit.post(f"{base}/key-unit/approve", json={}, headers=token("supervisor", "532502"))
    assert neighbour.status_code == 403 and "record_division" in neighbour.json(), neighbour.text
    approved = await posted(unit, f"{base}/key-unit/approve", {"remark": "同意列管",
                                                               "expected_version": requested["version"]}, SUPERVISOR)
    record = await read(unit, base, approved, police_headers)
    assert (record["key_unit"]["state"], record["key_unit"]["decided_by"]) == ("listed", "SV-0117")
    assert [i["state"] for i in await listed(unit, "/v1/key-units", unit_id, police_headers)] == ["listed"]

    assert set(field_of(await unit.post(f"{base}/key-locations", json={}, headers=police_headers))) == {
        "name", "reason"}
    example = RequestKeyLocation.model_json_schema()["examples"][0]
    office = await posted(unit, f"{base}/key-locations", {**example, "expected_version": approved["version"]},
                          police_headers, 201)
    store = await posted(unit, f"{base}/key-locations", {"name": "危化品仓库", "reason": "存放消毒剂"},
                         police_headers, 201)
    duplicate = await unit.post(f"{base}/key-locations", json={"name": example["name"], "reason": "重复"},
                                headers=police_headers)
    assert duplicate.status_code == 409 and duplicate.json()["type"] == "key_location.duplicate", duplicate.text
    location = f"{base}/key-locations/{store['location_id']}"
    assert field_of(await unit.post(f"{location}/reject", json={"remark": " "}, headers=SUPERVISOR)) == ["remark"]
    await posted(unit, f"{location}/reject", {"remark": "仓库已停用"}, SUPERVISOR)
    decided = await unit.post(f"{location}/approve", json={}, headers=SUPERVISOR)
    assert decided.status_code == 409 and decided.json()["type"] == "key_location.not_pending", decided.text
    missing = await unit.post(f"{base}/key-locations/KL-none/approve", json={}, headers=SUPERVISOR)
    assert missing.status_code == 404, missing.text
    listed_office = await posted(unit, f"{base}/key-locations/{office['location_id']}/approve", {}, SUPERVISOR)

    record = await read(unit, base, listed_office, police_headers)
    assert {(e["name"], e["state"]) for e in record["key_locations"]} == {(example["name"], "listed"),
                                                                          ("危化品仓库", "rejected")}
    locations = await listed(unit, "/v1/key-locations", unit_id, police_headers)
    assert [(i["name"], i["unit_name"], i["location_id"]) for i in locations] == [
        (example["name"], "列管测试留宿洗浴", office["location_id"])]
    neighbour_list = await unit.get("/v1/key-locations", params={"limit": 1000}, headers=token("police", "532502"))
    assert unit_id not in [i["unit_id"] for i in neighbour_list.json()["items"]], "lists are filtered"


    assert field_of(await unit.post(f"{base}/key-unit/release", json={}, headers=police_headers)) == ["reason"]
    release = await posted(unit, f"{base}/key-unit/release", ReleaseKeyListing.model_json_schema()["examples"][0] | {
        "expected_version": listed_office["version"]}, police_headers)
    requests = await listed(unit, "/v1/key-units/requests", unit_id, SUPERVISOR)
    assert ("key_unit", "release_pending") in [(i["kind"], i["state"]) for i in requests]
    released = await posted(unit, f"{base}/key-unit/approve", {"remark": "同意撤管"}, SUPERVISOR)
    record = await read(unit, base, released, police_headers)
    assert (record["key_unit"]["state"], record["key_unit"]["release_reason"]) == (
        "released", ReleaseKeyListing.model_json_schema()["examples"][0]["reason"])
    assert release["version"] + 1 == released["version"]
    again = await unit.post(f"{base}/key-unit/release", json={"reason": "再撤"}, headers=police_headers)
    assert again.status_code == 409 and again.json()["type"] == "key_unit.not_listed", again.text
