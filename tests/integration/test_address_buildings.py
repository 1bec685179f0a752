"""The largest building a collector may describe (20 units × 150 floors × 999 rooms, ten basements, 999 shop
fronts: 3,007,989 rooms) over HTTP against the real stack: applied in one small projection step, every room
listed, counted and looked up by its code."""

from __future__ import annotations

from contracts.address_codes import parse_room_code
from tests.integration.address_helpers import read_doorplate, register_doorplate
from tests.integration.conftest import unique_name

LARGEST = {"building": "1栋", "units": 20, "floors": 150, "rooms_per_floor": 999, "underground_floors": 10,
           "underground_rooms_per_floor": 999, "shop_fronts": 999}
ROOMS = 20 * 150 * 999 + 10 * 999 + 999


async def test_the_largest_building_is_read_room_by_room_without_storing_three_million_rooms(address_client,
                                                                                             police_headers):
    plate = await register_doorplate(address_client, police_headers, unique_name(), "18")
    generated = await address_client.post(f"/v1/doorplates/{plate['code']}/buildings", json=LARGEST,
                                          headers=police_headers)
    assert generated.status_code == 201, generated.text
    assert generated.json()["room_count"] == ROOMS
    summary = (await read_doorplate(address_client, police_headers, generated.json()))["buildings"]
    assert [(b["building"], b["room_count"]) for b in summary] == [("1栋", ROOMS)]

    rooms_url = f"/v1/doorplates/{plate['code']}/rooms"
    last = (await address_client.get(rooms_url, params={"offset": 1_000_000, "limit": 2}, headers=police_headers)).json()
    assert last["total"] == ROOMS and last["count"] == 2
    after = (await address_client.get(rooms_url, params={"cursor": last["next_cursor"], "limit": 2},
                                      headers=police_headers)).json()  # the cursor goes on where the page stopped
    assert after["items"] == (await address_client.get(rooms_url, params={"offset": 1_000_002, "limit": 2},
                                                       headers=police_headers)).json()["items"]
    top = (await address_client.get(rooms_url, params={"unit": 20, "floor": 150, "offset": 997},
                                    headers=police_headers)).json()
    assert top["total"] == 999 and [room["label"] for room in top["items"]] == ["20单元150998室", "20单元150999室"]
    assert top["next_cursor"] is None, "the last page says so"
    basement = (await address_client.get(rooms_url, params={"floor": -10, "limit": 1}, headers=police_headers)).json()
    assert basement["total"] == 999 and basement["items"][0]["label"] == "B10-001室"

    room = top["items"][-1]
    assert room["full_name"].endswith("18号1栋20单元150999室")
    parts = parse_room_code(room["code"])
    assert (parts.doorplate_code, parts.building_seq, parts.unit, parts.floor, parts.seq) == (plate["code"], 1, 20, 150, 999)
    by_code = await address_client.get(f"/v1/addresses/{room['code']}", headers=police_headers)
    assert by_code.status_code == 200, by_code.text
    assert by_code.json()["kind"] == "room" and by_code.json()["full_name"] == room["full_name"]
    assert by_code.json()["doorplate_code"] == plate["code"] and by_code.json()["element_type"] == "62"
    history = (await address_client.get(f"/v1/addresses/{room['code']}/history", headers=police_headers)).json()
    assert [event["event_type"] for event in history["events"]][-1] == "BuildingStructureGenerated"


async def test_a_room_code_for_a_position_the_building_does_not_have_is_404(address_client, police_headers):
    from contracts.buildings import Room
    from contracts.address_codes import room_code

    plate = await register_doorplate(address_client, police_headers, unique_name(), "2")
    generated = await address_client.post(f"/v1/doorplates/{plate['code']}/buildings",
                                          json={"units": 1, "floors": 2, "rooms_per_floor": 2}, headers=police_headers)
    await read_doorplate(address_client, police_headers, generated.json())
    beyond = room_code(plate["code"], 1, Room("room", 1, 3, "301", "1单元301室", 1))  # no third floor
    missing = await address_client.get(f"/v1/addresses/{beyond}", headers=police_headers)
    assert missing.status_code == 404 and missing.json()["id"] == beyond
