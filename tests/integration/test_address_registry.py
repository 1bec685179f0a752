"""The standard-address registry over HTTP against the real stack: hierarchy, lifecycle, merge, buildings."""

from __future__ import annotations

import asyncio

from fastapi import Depends

from services.address.config import AddressSettings
from services.address.bootstrap import service
from services.address.application import AddressService
from services.kernel.web.auth import mint_token
from services.kernel.web.deps import runtime
from tests.integration.address_helpers import TOWNSHIP, read_doorplate, register_doorplate, register_place
from tests.integration.conftest import unique_name


async def test_hierarchy_rules_are_enforced_with_a_named_rule(address_client, police_headers):
    community = await register_place(address_client, police_headers, unique_name("社区"), 31, TOWNSHIP)
    road = await register_place(address_client, police_headers, unique_name("路"), 41, community["code"])
    wrong = await register_place(address_client, police_headers, unique_name("社区"), 31, road["code"], expect=422)
    assert wrong["detail"][0]["loc"] == ["body", "element_type"]
    assert wrong["detail"][0]["type"].startswith("hierarchy")
    too_high = await register_place(address_client, police_headers, unique_name(), 41, "53", expect=422)
    assert too_high["detail"][0]["type"] == "hierarchy.parent_too_high"
    unknown = await register_place(address_client, police_headers, unique_name(), 41, "999999999", expect=422)
    assert unknown["detail"][0]["loc"] == ["body", "parent_code"]
    not_a_place = await register_place(address_client, police_headers, unique_name(), 50, TOWNSHIP, expect=422)
    assert not_a_place["detail"][0]["type"] == "element_type.not_a_place"
    name = unique_name()
    await register_place(address_client, police_headers, name, 41, TOWNSHIP)
    duplicate = await register_place(address_client, police_headers, name, 41, TOWNSHIP, expect=409)
    assert "already registered" in duplicate["detail"]


async def test_approval_flow_at_the_configured_level(address_client, police_headers, settings):
    app = address_client.fastapi

    def strict(rt=Depends(runtime)):
        return AddressService(rt.store, rt.claims, AddressSettings(approval_level="police_station"))

    app.dependency_overrides[service] = strict
    try:
        road = unique_name()
        accepted = await register_doorplate(address_client, police_headers, road, "8")
        assert (await read_doorplate(address_client, police_headers, accepted))["approval_state"] == "pending"
        collector = {"Authorization": "Bearer " + mint_token("GW-1", "collector", "532503", settings)}
        refused = await address_client.post(f"/v1/doorplates/{accepted['code']}/approve", json={}, headers=collector)
        assert refused.status_code == 403 and "police" in refused.json()["detail"]
        approved = await address_client.post(f"/v1/doorplates/{accepted['code']}/approve",
                                             json={"remark": "实地核实"}, headers=police_headers)
        assert approved.status_code == 200 and approved.json()["version"] == 2
        plate = await read_doorplate(address_client, police_headers, approved.json())
        assert plate["approval_state"] == "approved" and plate["approvals"][0]["by"] == "PC-0001"
        again = await address_client.post(f"/v1/doorplates/{accepted['code']}/approve", json={}, headers=police_headers)
        assert again.status_code == 409 and again.json()["type"] == "approval.not_pending"

        other = await register_doorplate(address_client, police_headers, road, "10")
        no_reason = await address_client.post(f"/v1/doorplates/{other['code']}/reject", json={}, headers=police_headers)
        assert no_reason.status_code == 422 and no_reason.json()["detail"][0]["loc"] == ["body", "reason"]
        rejected = await address_client.post(f"/v1/doorplates/{other['code']}/reject",
                                              json={"reason": "门牌号与实地不符"}, headers=police_headers)
        assert rejected.status_code == 200
        plate = await read_doorplate(address_client, police_headers, rejected.json())
        assert plate["approval_state"] == "rejected" and plate["approvals"][0]["note"] == "门牌号与实地不符"
    finally:
        app.dependency_overrides.clear()


async def test_rename_cascades_to_every_full_name_and_keeps_history(address_client, police_headers):
    old, new = unique_name(), unique_name("大道")
    first = await register_doorplate(address_client, police_headers, old, "1")
    second = await register_doorplate(address_client, police_headers, old, "3")
    plate = await read_doorplate(address_client, police_headers, second)
    road_code = plate["place_code"]
    renamed = await address_client.post(f"/v1/places/{road_code}/rename",
                                        json={"new_name": new, "reason": "地名委员会批复", "expected_version": 1},
                                        headers=police_headers)
    assert renamed.status_code == 200, renamed.text
    road = (await address_client.get(f"/v1/places/{road_code}", params={"min_version": 2}, headers=police_headers)).json()
    assert road["name"] == new and road["former_names"][0]["name"] == old
    for accepted in (first, second):
        plate = await read_doorplate(address_client, police_headers, accepted)
        assert plate["place_name"] == new and new in plate["full_name"] and old not in plate["full_name"]
    history = (await address_client.get(f"/v1/addresses/{road_code}/history", headers=police_headers)).json()
    assert [e["event_type"] for e in history["events"]] == ["PlaceRegistered", "PlaceRenamed"]
    assert history["events"][1]["actor"]["id"] == "PC-0001"
    # the new name now finds the same road; the old one is free again
    again = await register_doorplate(address_client, police_headers, new, "5")
    assert (await read_doorplate(address_client, police_headers, again))["place_code"] == road_code


async def test_stale_expected_version_gets_409_with_the_current_version(address_client, police_headers):
    accepted = await register_doorplate(address_client, police_headers, unique_name(), "2")
    code = accepted["code"]
    results = await asyncio.gather(*(
        address_client.post(f"/v1/doorplates/{code}/aliases", json={"alias": f"别名{n}", "expected_version": 1},
                            headers=police_headers) for n in range(4)))
    statuses = sorted(response.status_code for response in results)
    assert statuses == [200, 409, 409, 409]
    loser = next(response for response in results if response.status_code == 409).json()
    assert loser["current_version"] == 2 and loser["expected_version"] == 1


async def test_renumber_retire_and_duplicate_numbers(address_client, police_headers):
    road = unique_name()
    accepted = await register_doorplate(address_client, police_headers, road, "18")
    duplicate = await register_doorplate(address_client, police_headers, road, "十八号", expect=409)
    assert duplicate["type"] == "doorplate.duplicate" and accepted["code"] in duplicate["detail"]
    renumbered = await address_client.post(f"/v1/doorplates/{accepted['code']}/renumber",
                                           json={"number": "20", "reason": "门牌整顿"}, headers=police_headers)
    assert renumbered.status_code == 200
    plate = await read_doorplate(address_client, police_headers, renumbered.json())
    assert plate["door_number"] == "20号" and plate["former_numbers"][0]["door_number"] == "18号"
    assert plate["code"] == accepted["code"], "the code is stable across renumbering"
    await register_doorplate(address_client, police_headers, road, "18")  # 18 is free again
    await register_doorplate(address_client, police_headers, road, "20", expect=409)
    retired = await address_client.post(f"/v1/doorplates/{accepted['code']}/retire",
                                        json={"reason": "拆迁", "retired_on": "2026-10-01"}, headers=police_headers)
    assert retired.status_code == 200
    plate = await read_doorplate(address_client, police_headers, retired.json())
    assert plate["status"] == "retired" and plate["retired"] == {"reason": "拆迁", "on": "2026-10-01"}
    refused = await address_client.post(f"/v1/doorplates/{accepted['code']}/renumber", json={"number": "22"},
                                        headers=police_headers)
    assert refused.status_code == 409 and refused.json()["type"] == "doorplate.retired"
    listing = (await address_client.get("/v1/doorplates", params={"road_name": road}, headers=police_headers)).json()
    assert [item["door_number"] for item in listing["items"]] == ["18号"]


async def test_merge_redirects_the_duplicate_and_loses_nothing(address_client, police_headers):
    road = unique_name()
    survivor = await register_doorplate(address_client, police_headers, road, "6")
    duplicate = await register_doorplate(address_client, police_headers, road, "6", allow_duplicate=True)
    assert duplicate["code"] != survivor["code"]
    building = await address_client.post(f"/v1/doorplates/{duplicate['code']}/buildings",
                                         json={"units": 1, "floors": 2, "rooms_per_floor": 2}, headers=police_headers)
    await read_doorplate(address_client, police_headers, building.json())
    rooms = (await address_client.get(f"/v1/doorplates/{duplicate['code']}/rooms", headers=police_headers)).json()
    merged = await address_client.post(f"/v1/doorplates/{duplicate['code']}/merge",
                                       json={"survivor_code": survivor["code"], "reason": "重复录入"}, headers=police_headers)
    assert merged.status_code == 200, merged.text
    redirected = await read_doorplate(address_client, police_headers, merged.json())
    assert redirected["code"] == survivor["code"] and redirected["redirected_from"] == [duplicate["code"]]
    await read_doorplate(address_client, police_headers, {"code": survivor["code"], "version": 2})
    own = await read_doorplate(address_client, police_headers, merged.json(), follow="false")
    assert own["status"] == "merged" and own["redirect_to"] == survivor["code"]
    survivor_doc = await read_doorplate(address_client, police_headers, {"code": survivor["code"], "version": 2})
    assert survivor_doc["merged_from"] == [{"code": duplicate["code"], "door_number": "6号"}]
    room = rooms["items"][0]
    still = await address_client.get(f"/v1/addresses/{room['code']}", headers=police_headers)
    assert still.status_code == 200 and still.json()["doorplate_code"] == duplicate["code"]
    again = await address_client.post(f"/v1/doorplates/{duplicate['code']}/merge",
                                      json={"survivor_code": survivor["code"]}, headers=police_headers)
    assert again.status_code == 200 and again.json()["version"] == merged.json()["version"], "a repeated merge is a no-op"
    self_merge = await address_client.post(f"/v1/doorplates/{survivor['code']}/merge",
                                           json={"survivor_code": survivor["code"]}, headers=police_headers)
    assert self_merge.status_code == 422, self_merge.text
    [refusal] = self_merge.json()["detail"]
    assert refusal["loc"] == ["body", "survivor_code"] and refusal["type"] == "merge.self" and refusal["msg_zh"]
    unchanged = await read_doorplate(address_client, police_headers, {"code": survivor["code"], "version": 2})
    assert unchanged["status"] == "in_use" and unchanged["redirect_to"] is None and unchanged["version"] == 2


async def test_building_generation_counts_numbering_and_ranges(address_client, police_headers):
    accepted = await register_doorplate(address_client, police_headers, unique_name(), "18")
    command = {"building": "3栋", "units": 2, "floors": 3, "rooms_per_floor": 4, "underground_floors": 1,
               "underground_rooms_per_floor": 2, "shop_fronts": 2}
    generated = await address_client.post(f"/v1/doorplates/{accepted['code']}/buildings", json=command,
                                          headers=police_headers)
    assert generated.status_code == 201, generated.text
    assert generated.json()["room_count"] == 2 * 3 * 4 + 2 + 2
    await read_doorplate(address_client, police_headers, generated.json())
    rooms = (await address_client.get(f"/v1/doorplates/{accepted['code']}/rooms", params={"unit": 2},
                                      headers=police_headers)).json()
    assert rooms["total"] == 12
    assert [room["room_number"] for room in rooms["items"]][:5] == ["101", "102", "103", "104", "201"]
    assert rooms["items"][0]["full_name"].endswith("18号3栋2单元101室")
    everything = (await address_client.get(f"/v1/doorplates/{accepted['code']}/rooms", headers=police_headers)).json()
    labels = {room["label"] for room in everything["items"]}
    assert {"B1-01室", "门面1", "门面2"} <= labels and everything["total"] == 28
    assert len({room["code"] for room in everything["items"]}) == 28
    twice = await address_client.post(f"/v1/doorplates/{accepted['code']}/buildings", json=command,
                                      headers=police_headers)
    assert twice.status_code == 409 and twice.json()["type"] == "building.exists", twice.text
    assert "3栋" in twice.json()["detail"] and twice.json()["detail_zh"]
    plate = await read_doorplate(address_client, police_headers, generated.json())
    assert [b["building"] for b in plate["buildings"]] == ["3栋"] and plate["version"] == generated.json()["version"]
    again = (await address_client.get(f"/v1/doorplates/{accepted['code']}/rooms", headers=police_headers)).json()
    assert again["total"] == 28 and [room["code"] for room in again["items"]] == [r["code"] for r in everything["items"]]
    for field, value in (("units", 21), ("floors", 0), ("rooms_per_floor", 1000)):
        bad = await address_client.post(f"/v1/doorplates/{accepted['code']}/buildings",
                                        json={**command, "building": "9栋", field: value}, headers=police_headers)
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == field


async def test_concurrent_first_registrations_on_a_new_road_all_succeed_on_one_road(address_client, police_headers):
    road = unique_name()
    results = await asyncio.gather(*(
        address_client.post("/v1/doorplates", json={"division_code": TOWNSHIP, "road_name": road, "number": str(n)},
                            headers=police_headers) for n in range(1, 9)))
    assert [response.status_code for response in results] == [201] * 8, [r.text for r in results]
    plates = [await read_doorplate(address_client, police_headers, response.json()) for response in results]
    assert len({plate["place_code"] for plate in plates}) == 1


async def test_a_claim_left_by_a_crashed_request_does_not_block_the_road_forever(address_client, police_headers):
    from datetime import datetime, timedelta, timezone

    from services.address.domain.normalize import clean
    from services.kernel.eventsourcing.claims import PENDING

    road = unique_name()
    rt = address_client.fastapi.state.runtime
    key = f"place:{TOWNSHIP}:41:{clean(road)}"
    long_ago = datetime.now(timezone.utc) - timedelta(minutes=5)
    await rt.db["claims"].insert_one({"_id": key, "owner": f"{PENDING}dead-request", "at": long_ago})
    accepted = await register_doorplate(address_client, police_headers, road, "1")
    plate = await read_doorplate(address_client, police_headers, accepted)
    assert plate["place_name"] == road
