"""Door-plate quality reports over HTTP against the real stack: planted duplicates, gaps, wrong sides, missing
coordinates and pending approvals are found, per road and per township."""

from __future__ import annotations

import pytest
from fastapi import Depends

from services.address.config import AddressSettings, address_settings
from services.address.bootstrap import service
from services.address.application import AddressService
from services.kernel.web.deps import runtime
from tests.integration.address_helpers import CENTRE, TOWNSHIP, read_doorplate, register_doorplate
from tests.integration.conftest import unique_name


@pytest.fixture(scope="module")
async def client(address_client):
    """The shared in-process address service."""
    return address_client


async def register_pending(client, headers, road: str, number: str) -> dict:
    """A plate registered while approval is required at police-station level (this request only)."""
    app = client.fastapi

    def strict(rt=Depends(runtime)):
        return AddressService(rt.store, rt.claims, AddressSettings(approval_level="police_station"))

    app.dependency_overrides[service] = strict
    try:
        return await register_doorplate(client, headers, road, number)
    finally:
        app.dependency_overrides.pop(service, None)


@pytest.fixture(scope="module")
async def planted(client, police_headers):
    """A road with rule 左单右双 and every kind of problem planted, plus its plate codes by role."""
    road = unique_name()
    located = {"location": {"lng": CENTRE[0], "lat": CENTRE[1]}}
    first = await register_doorplate(client, police_headers, road, "1", side="left", **located)
    place_code = (await read_doorplate(client, police_headers, first))["place_code"]
    rule = await client.put(f"/v1/places/{place_code}/numbering-rule", json={"odd_side": "left", "skip": []},
                            headers=police_headers)
    assert rule.status_code == 200, rule.text
    plates = {"1": first}
    plates["3"] = await register_doorplate(client, police_headers, road, "3", side="left", **located)
    plates["7"] = await register_doorplate(client, police_headers, road, "7", side="left", **located)
    plates["9-wrong-side"] = await register_doorplate(client, police_headers, road, "9", side="right", **located)
    plates["2"] = await register_doorplate(client, police_headers, road, "2", side="right", **located)
    plates["4-no-coordinates"] = await register_doorplate(client, police_headers, road, "4", side="right")
    plates["18"] = await register_doorplate(client, police_headers, road, "18")
    plates["18-again"] = await register_doorplate(client, police_headers, road, "18", allow_duplicate=True)
    plates["十八号"] = await register_doorplate(client, police_headers, road, "十八号", allow_duplicate=True)
    plates["pending-6"] = await register_pending(client, police_headers, road, "6")
    retired = await register_doorplate(client, police_headers, road, "11", **located)
    gone = await client.post(f"/v1/doorplates/{retired['code']}/retire", json={"reason": "拆迁"},
                             headers=police_headers)
    assert gone.status_code == 200, gone.text
    for accepted in [*plates.values(), gone.json()]:
        await read_doorplate(client, police_headers, accepted, follow="false")
    await client.get(f"/v1/places/{place_code}", params={"min_version": rule.json()["version"]}, headers=police_headers)
    return {"road": road, "place_code": place_code, "codes": {k: v["code"] for k, v in plates.items()},
            "retired": retired["code"]}


async def road_report(client, headers, place_code: str) -> dict:
    response = await client.get(f"/v1/quality/roads/{place_code}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_road_report_finds_every_planted_problem(client, police_headers, planted):
    body = await road_report(client, police_headers, planted["place_code"])
    report, codes = body["report"], planted["codes"]
    assert body["road"] == planted["road"] and body["division_code"] == TOWNSHIP
    assert body["rule"] == {"odd_side": "left", "skip": [], "start": 1, "source": "road"}
    assert body["retired_plates"] == 1 and report["plate_count"] == len(codes)
    assert body["door_numbers"][codes["十八号"]] == "18号" and planted["retired"] not in body["door_numbers"]

    [duplicate] = report["duplicates"]
    assert duplicate["number"] == "18号"
    assert set(duplicate["plate_ids"]) == {codes["18"], codes["18-again"], codes["十八号"]}

    gaps = {gap["parity"]: gap for gap in report["gaps"]}
    assert gaps["odd"]["missing"] == [5] and gaps["odd"]["side"] == "left"
    assert gaps["even"]["missing"] == [8, 10, 12, 14, 16] and gaps["even"]["side"] == "right"

    [wrong] = report["wrong_side"]
    assert wrong["plate_id"] == codes["9-wrong-side"] and wrong["rule"] == "odd-even-side"

    without = set(report["missing_coordinates"])
    assert without == {codes["4-no-coordinates"], codes["18"], codes["18-again"], codes["十八号"], codes["pending-6"]}
    assert planted["retired"] not in without, "retired plates are left out"
    assert report["pending_approvals"] == [codes["pending-6"]]
    assert report["issue_count"] == 1 + 6 + 1 + 5 + 1


async def test_road_without_its_own_rule_uses_the_city_default(client, police_headers):
    first = await register_doorplate(client, police_headers, road := unique_name(), "1")
    second = await register_doorplate(client, police_headers, road, "4")
    plate = await read_doorplate(client, police_headers, first)
    await read_doorplate(client, police_headers, second)
    body = await road_report(client, police_headers, plate["place_code"])
    city = address_settings()
    assert body["rule"] == {"odd_side": city.default_odd_side, "skip": sorted(city.default_skip), "start": 1,
                            "source": "city_default"}
    missing = [n for gap in body["report"]["gaps"] for n in gap["missing"]]
    # unset (the default): consecutive numbers, 2 and 3 missing; with sides only the even 2 is
    assert missing == ([2, 3] if city.default_odd_side is None else [2])


async def test_township_report_sums_its_roads(client, police_headers, planted):
    response = await client.get(f"/v1/quality/townships/{TOWNSHIP}", headers=police_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["division_code"] == TOWNSHIP and body["division_name"].endswith("文澜街道")
    [road] = [item for item in body["roads"] if item["place_code"] == planted["place_code"]]
    assert road["counts"] == {"plates": 10, "duplicates": 1, "duplicate_plates": 3, "gaps": 6, "wrong_side": 1,
                              "skipped_numbers_used": 0, "without_coordinates": 5, "implausible_coordinates": 0,
                              "unreadable_numbers": 0, "pending_approvals": 1, "issues": 14}
    totals = body["totals"]
    for key in ("plates", "duplicates", "gaps", "without_coordinates", "pending_approvals", "issues"):
        assert totals[key] == sum(item["counts"][key] for item in body["roads"]) >= road["counts"][key]
    assert totals["roads"] == len(body["roads"]) and totals["roads_with_issues"] >= 1
    issues = [item["counts"]["issues"] for item in body["roads"]]
    assert issues == sorted(issues, reverse=True), "most issues first"


async def test_unknown_codes_are_404_and_a_too_wide_division_is_422(client, police_headers):
    assert (await client.get("/v1/quality/roads/000000000000000000000000", headers=police_headers)).status_code == 404
    assert (await client.get("/v1/quality/townships/999999999", headers=police_headers)).status_code == 404
    wide = await client.get("/v1/quality/townships/53", headers=police_headers)
    assert wide.status_code == 422 and wide.json()["detail"][0]["type"] == "division.level"
    county = await client.get("/v1/quality/townships/532503", headers=police_headers)
    assert county.status_code == 200 and county.json()["totals"]["plates"] >= 10
