"""Issue 18 on the real stack, as an officer and a supervisor see it: a rental's terms changed, its lessor and
security person replaced, and 管理等级/重点房屋 by request and approval with its two lists.

Every command's documented body is posted as it stands (the stream version put in); reads wait for their own
write (min_version); lists are read after the house read has shown the change (the same read model).
"""

from __future__ import annotations

import pytest

from services.house.commands import (
    ChangeRentalTerms, DecideKeyStatus, ReplaceLessor, ReplaceSecurityPerson, RequestKeyStatus,
)
from services.house.occupants import OCCUPANTS
from services.kernel.web.auth import mint_token
from tests.integration.address_helpers import TOWNSHIP
from tests.integration.person_facts import linkable
from tests.integration.test_house_registry import house_client, new_plate, read_house, register_house  # noqa: F401

pytestmark = pytest.mark.integration


def token(role: str, org: str = "532503", sub: str = "T-1") -> dict:
    return {"Authorization": "Bearer " + mint_token(sub, role, org)}


POLICE, SUPERVISOR, COLLECTOR = token("police", sub="PC-0001"), token("supervisor", sub="SV-0001"), token("collector")
OUTSIDE_POLICE, OUTSIDE_SUPERVISOR = token("police", "532502"), token("supervisor", "532502")  # 个旧市


def documented(model, version: int) -> dict:
    """The route's OpenAPI example as it stands, at the stream's current version."""
    return {**model.model_json_schema()["examples"][0], "expected_version": version}


async def posted(client, path: str, body: dict, headers: dict, expect: int = 200) -> dict:
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == expect, response.text
    return response.json()


async def refused(client, path: str, body: dict, headers: dict, status: int) -> dict:
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


async def fields_of(client, path: str, body: dict, headers: dict = POLICE) -> list[str]:
    answer = await refused(client, path, body, headers, 422)
    return [error["loc"][-1] for error in answer["detail"]]


async def let_house(address_client, house_client, settings):
    plate = await new_plate(address_client, house_client, POLICE)
    house = await register_house(house_client, POLICE, plate["code"], rooms=3, area=90)
    base = f"/v1/houses/{house['house_id']}"
    rental = await posted(house_client, f"{base}/rentals", {
        "lessor": {"name": "李四"}, "rooms_let": 2, "area_let": 40, "monthly_rent": 1200, "start": "2026-10-01",
        "end": "2027-09-30", "security_person": {"name": "李四"}, "responsibility_letter_signed": "2026-10-01"},
        POLICE, 201)
    tenant = await linkable(settings, house_client, OCCUPANTS)
    moved_in = await posted(house_client, f"{base}/rentals/{rental['rental_id']}/tenants",
                            {"person_id": tenant, "moved_in": "2026-10-02"}, POLICE, 201)
    return base, rental["rental_id"], moved_in


async def test_a_rentals_terms_lessor_and_security_person_change_each_by_its_own_command(
        address_client, house_client, settings):
    base, rental_id, accepted = await let_house(address_client, house_client, settings)
    terms, lessor, security = (f"{base}/rentals/{rental_id}/{p}" for p in ("terms", "lessor", "security-person"))

    # bad input names the field; the wrong role, another county and an unknown house are refused
    assert "changed_on" in await fields_of(house_client, terms, {"monthly_rent": 1300})
    assert await fields_of(house_client, terms, {"changed_on": "2026-11-15"}) == ["end"], "nothing to change"
    assert await fields_of(house_client, terms, {"changed_on": "2026-11-15", "end": "2026-09-30"}) == ["end"]
    assert await fields_of(house_client, terms, {"changed_on": "2026-11-15", "end": "2026-11-20"}) == ["end"], (
        "tenants still live there: the end cannot lie in the past")
    assert await fields_of(house_client, terms, {"changed_on": "2026-11-15", "rooms_let": 4}) == ["rooms_let"]
    assert await fields_of(house_client, lessor, {"lessor": {"name": "李四"}, "replaced_on": "2026-09-01"}) == [
        "replaced_on"]
    assert await fields_of(house_client, security, {"security_person": {"name": "王五"}, "replaced_on": "2026-11-15",
                                                    "responsibility_letter_signed": "2099-01-01"}) == [
        "responsibility_letter_signed"]
    assert "person_id" in await fields_of(house_client, lessor, {"lessor": {"person_id": "P-nobody-known"},
                                                                 "replaced_on": "2026-11-15"})
    body = {"changed_on": "2026-11-15", "monthly_rent": 1300}
    for headers in (SUPERVISOR, token("agency")):
        await refused(house_client, terms, body, headers, 403)
    outside = await refused(house_client, terms, body, OUTSIDE_POLICE, 403)
    assert outside["record_division"] == TOWNSHIP
    await refused(house_client, f"/v1/houses/H-none/rentals/{rental_id}/terms", body, POLICE, 404)
    await refused(house_client, f"{base}/rentals/R-none/terms", body, POLICE, 404)
    await refused(house_client, terms, {**body, "expected_version": 1}, POLICE, 409)

    # the documented bodies, each its own event; the house shows them
    changed = await posted(house_client, terms, documented(ChangeRentalTerms, accepted["version"]), COLLECTOR)
    replaced = await posted(house_client, lessor, documented(ReplaceLessor, changed["version"]), POLICE)
    last = await posted(house_client, security, documented(ReplaceSecurityPerson, replaced["version"]), POLICE)
    assert last["version"] == accepted["version"] + 3 and last["rental_id"] == rental_id
    rental = (await read_house(house_client, POLICE, last))["rentals"][0]
    example = ChangeRentalTerms.model_json_schema()["examples"][0]
    assert (rental["end"], rental["rooms_let"], rental["area_let"], rental["monthly_rent"]) == (
        example["end"], example["rooms_let"], example["area_let"], example["monthly_rent"])
    assert rental["terms_changed_on"] == example["changed_on"] and rental["status"] == "active"
    assert (rental["lessor"]["name"], rental["lessor_role"]) == ("赵六", "agent")
    assert (rental["security_person"]["name"], rental["responsibility_letter_signed"]) == ("王五", "2026-11-15")
    assert rental["current_tenants"] == 1, "the tenant stays"

    again = await refused(house_client, lessor, documented(ReplaceLessor, last["version"]), POLICE, 422)
    assert again["detail"][0]["loc"][-1] == "lessor", "the same lessor again is no change"
    await posted(house_client, f"{base}/rentals/{rental_id}/end", {"ended_on": "2026-11-30"}, POLICE)
    ended = await refused(house_client, terms, body, POLICE, 409)
    assert ended["type"] == "rental.ended"


async def test_key_house_status_by_request_and_approval_with_its_lists(address_client, house_client):
    plate = await new_plate(address_client, house_client, POLICE)
    house = await register_house(house_client, POLICE, plate["code"])
    house_id, base = house["house_id"], f"/v1/houses/{house['house_id']}"
    requests = f"{base}/key-status-requests"

    assert {"management_level", "key_house", "reason"} <= set(await fields_of(house_client, requests, {}))
    assert await fields_of(house_client, requests, {"management_level": "strict", "key_house": True,
                                                    "reason": "接报"}) == ["key_reason"]
    assert await fields_of(house_client, requests, {"management_level": "normal", "key_house": False,
                                                    "reason": "接报"}) == ["management_level"], "no change asked"
    for headers in (SUPERVISOR, COLLECTOR):
        await refused(house_client, requests, documented(RequestKeyStatus, house["version"]), headers, 403)
    outside = await refused(house_client, requests, documented(RequestKeyStatus, house["version"]), OUTSIDE_POLICE, 403)
    assert outside["record_division"] == TOWNSHIP

    asked = await posted(house_client, requests, documented(RequestKeyStatus, house["version"]), POLICE, 201)
    request_id = asked["request_id"]
    shown = await read_house(house_client, POLICE, asked)
    assert (shown["key_house"], shown["management_level"]) == (False, "normal"), "nothing changes before approval"
    assert (shown["key_status_requests"][0]["state"], shown["key_status_requests"][0]["requested_by"]) == (
        "pending", "PC-0001")
    pending = await listed(house_client, "/v1/houses/key-status-requests", SUPERVISOR)
    mine = [item for item in pending["items"] if item["house_id"] == house_id]
    assert [(i["request_id"], i["management_level"], i["key_house"]) for i in mine] == [(request_id, "strict", True)]
    assert all(item["house_id"] != house_id
               for item in (await listed(house_client, "/v1/houses/key-status-requests", OUTSIDE_SUPERVISOR))["items"])
    second = await refused(house_client, requests, {"management_level": "attention", "key_house": False,
                                                    "reason": "再次"}, POLICE, 409)
    assert second["type"] == "house.key_status_pending"

    approve, reject = f"{requests}/{request_id}/approve", f"{requests}/{request_id}/reject"
    decision = documented(DecideKeyStatus, asked["version"])
    for headers in (POLICE, COLLECTOR):
        await refused(house_client, approve, decision, headers, 403)
    assert (await refused(house_client, approve, decision, OUTSIDE_SUPERVISOR, 403))["record_division"] == TOWNSHIP
    await refused(house_client, f"{requests}/KS-none/approve", decision, SUPERVISOR, 404)
    approved = await posted(house_client, approve, decision, SUPERVISOR)
    shown = await read_house(house_client, SUPERVISOR, approved)
    example = RequestKeyStatus.model_json_schema()["examples"][0]
    assert (shown["key_house"], shown["management_level"], shown["key_reason"]) == (
        True, example["management_level"], example["key_reason"])
    assert (await refused(house_client, reject, {"remark": "晚了"}, SUPERVISOR, 409))["type"] == (
        "key_status_request.decided")
    keys = await listed(house_client, "/v1/houses/key-houses", POLICE, management_level="strict")
    assert [item["request_id"] for item in keys["items"] if item["house_id"] == house_id] == [request_id]
    assert house_id in (await house_client.get("/v1/houses/key-houses", params={"format": "csv"},
                                               headers=SUPERVISOR)).text
    assert all(item["house_id"] != house_id
               for item in (await listed(house_client, "/v1/houses/key-status-requests", SUPERVISOR))["items"])

    # a release asked, rejected with reasons (a rejection without them names the remark)
    release = await posted(house_client, requests, {"management_level": "normal", "key_house": False,
                                                    "reason": "隐患已整改"}, POLICE, 201)
    reject = f"{requests}/{release['request_id']}/reject"
    assert await fields_of(house_client, reject, {"remark": " "}, SUPERVISOR) == ["remark"]
    rejected = await posted(house_client, reject, {"remark": "仍有可疑人员出入"}, SUPERVISOR)
    assert (await read_house(house_client, POLICE, rejected))["key_house"] is True
    decided = await listed(house_client, "/v1/houses/key-status-requests", SUPERVISOR, state="rejected")
    assert [i["remark"] for i in decided["items"] if i["house_id"] == house_id] == ["仍有可疑人员出入"]


async def test_the_direct_key_status_setting_is_a_supervisors(address_client, house_client):
    plate = await new_plate(address_client, house_client, POLICE)
    house = await register_house(house_client, POLICE, plate["code"])
    path, body = f"/v1/houses/{house['house_id']}/key-status", {"management_level": "attention", "key_house": True,
                                                                  "key_reason": "人员复杂"}
    await refused(house_client, path, body, POLICE, 403)
    set_ = await posted(house_client, path, body, SUPERVISOR)
    assert (await read_house(house_client, SUPERVISOR, set_))["key_house"] is True


async def listed(client, path: str, headers: dict, **params) -> dict:
    response = await client.get(path, params={"limit": 1000, **params}, headers=headers)
    assert response.status_code == 200, response.text
    page = response.json()
    assert set(page) >= {"total", "items", "next_cursor"}
    return page
