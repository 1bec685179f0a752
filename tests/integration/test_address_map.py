"""Coordinates in, map queries out: GCJ-02/BD-09 input converted, far-away points refused, radius order."""

from __future__ import annotations

import math

from services.address.domain import geo
from tests.integration.address_helpers import CENTRE, read_doorplate, register_doorplate
from tests.integration.conftest import unique_name


def east_of(origin: tuple[float, float], metres: float) -> tuple[float, float]:
    lng, lat = origin
    return lng + metres / (111_320 * math.cos(math.radians(lat))), lat


async def test_gcj02_and_bd09_input_is_stored_as_wgs84(address_client, police_headers):
    road = unique_name()
    gcj = geo.wgs84_to_gcj02(*CENTRE)
    accepted = await register_doorplate(address_client, police_headers, road, "1",
                                        location={"lng": gcj[0], "lat": gcj[1], "system": "gcj02"})
    stored = (await read_doorplate(address_client, police_headers, accepted))["location"]["coordinates"]
    assert geo.haversine_m(*stored, *CENTRE) < 0.05, "GCJ-02 input lands on the WGS-84 point within 5 cm"
    assert geo.haversine_m(*gcj, *CENTRE) > 100, "the two systems really differ here (the test is meaningful)"
    bd = geo.wgs84_to_bd09(*CENTRE)
    accepted = await register_doorplate(address_client, police_headers, road, "3",
                                        location={"lng": bd[0], "lat": bd[1], "system": "bd09"})
    stored = (await read_doorplate(address_client, police_headers, accepted))["location"]["coordinates"]
    assert geo.haversine_m(*stored, *CENTRE) < 0.05


async def test_a_point_far_outside_the_county_is_rejected(address_client, police_headers):
    beijing = {"lng": 116.397, "lat": 39.909, "system": "wgs84"}
    response = await address_client.post("/v1/doorplates", json={
        "division_code": "532503001", "road_name": unique_name(), "number": "1", "location": beijing},
        headers=police_headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "location"]
    assert response.json()["detail"][0]["type"] == "location.outside_division"


async def test_radius_query_returns_nearest_first_and_box_query_returns_inside(address_client, police_headers):
    origin = east_of(CENTRE, 3000)  # away from other tests' plates
    road = unique_name()
    placed = {}
    for number, metres in (("7", 300), ("1", 50), ("5", 800), ("3", 150)):
        lng, lat = east_of(origin, metres)
        accepted = await register_doorplate(address_client, police_headers, road, number,
                                            location={"lng": lng, "lat": lat})
        placed[number] = accepted
    for accepted in placed.values():
        await read_doorplate(address_client, police_headers, accepted)
    near = (await address_client.get("/v1/map/near", params={"lng": origin[0], "lat": origin[1], "radius_m": 500},
                                     headers=police_headers)).json()
    mine = [item for item in near["items"] if item["place_name"] == road]
    assert [item["door_number"] for item in mine] == ["1号", "3号", "7号"]
    assert [round(item["distance_m"]) for item in mine] == [50, 150, 300]
    gcj_origin = geo.wgs84_to_gcj02(*origin)
    near_gcj = (await address_client.get("/v1/map/near", params={"lng": gcj_origin[0], "lat": gcj_origin[1],
                                                                 "radius_m": 100, "system": "gcj02"},
                                         headers=police_headers)).json()
    assert [item["door_number"] for item in near_gcj["items"] if item["place_name"] == road] == ["1号"]
    west, south = east_of(origin, 100)[0], origin[1] - 0.001
    east, north = east_of(origin, 1000)[0], origin[1] + 0.001
    box = (await address_client.get("/v1/map/within", params={"west": west, "south": south, "east": east,
                                                              "north": north}, headers=police_headers)).json()
    assert sorted(item["door_number"] for item in box["items"] if item["place_name"] == road) == ["3号", "5号", "7号"]
    bad = await address_client.get("/v1/map/within", params={"west": east, "south": south, "east": west,
                                                             "north": north}, headers=police_headers)
    assert bad.status_code == 422 and bad.json()["detail"][0]["type"] == "bbox.order"

    # no hidden cap (issue 17): the box is walked page by page with its total; near says how many it left out
    walked, cursor = [], None
    while True:
        page = (await address_client.get("/v1/map/within", headers=police_headers, params={
            "west": west, "south": south, "east": east, "north": north, "limit": 1,
            **({"cursor": cursor} if cursor else {})})).json()
        assert page["total"] == box["total"] and page["count"] == len(page["items"]) <= 1
        walked += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [item["code"] for item in walked] == sorted(item["code"] for item in box["items"])
    assert len(walked) == box["total"] >= 3
    nearest = (await address_client.get("/v1/map/near", params={"lng": origin[0], "lat": origin[1], "radius_m": 500,
                                                                "limit": 1}, headers=police_headers)).json()
    assert nearest["count"] == 1 and nearest["total"] == near["total"] == len(near["items"]) >= 3
