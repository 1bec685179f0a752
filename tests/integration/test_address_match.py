"""Free-text matching and parsing over HTTP against the real stack: planted addresses found among noisy variants."""

from __future__ import annotations

import pytest

from tests.integration.address_helpers import TOWNSHIP, read_doorplate, register_doorplate
from tests.integration.conftest import unique_name


@pytest.fixture(scope="module")
async def client(address_client):
    """The shared in-process address service."""
    return address_client


async def match(client, headers, text: str, **extra) -> list[dict]:
    response = await client.post("/v1/addresses/match", json={"text": text, **extra}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["candidates"]


def typo(name: str) -> str:
    """The road name with its second character replaced (one substitution)."""
    replacement = chr(ord(name[1]) + 1) if ord(name[1]) < 0x9FA5 else chr(ord(name[1]) - 1)
    return name[0] + replacement + name[2:]


@pytest.fixture(scope="module")
async def planted(client, police_headers):
    """天马路18号-like plate with a generated 3栋 (2 units × 18 floors × 4 rooms), neighbours, a decoy road."""
    road, decoy = unique_name(), unique_name()
    plate = await register_doorplate(client, police_headers, road, "18")
    for number in ("16", "19", "20"):
        await register_doorplate(client, police_headers, road, number)
    await register_doorplate(client, police_headers, decoy, "18")
    built = await client.post(f"/v1/doorplates/{plate['code']}/buildings", headers=police_headers,
                              json={"building": "3栋", "units": 2, "floors": 18, "rooms_per_floor": 4})
    assert built.status_code == 201, built.text
    doorplate = await read_doorplate(client, police_headers, built.json())
    rooms = await client.get(f"/v1/doorplates/{plate['code']}/rooms", params={"unit": 2, "floor": 12},
                             headers=police_headers)
    room = next(item for item in rooms.json()["items"] if item["label"] == "2单元1203室")
    return {"road": road, "plate": doorplate, "room": room}


@pytest.mark.parametrize("variant", [
    "蒙自市{road}十八号3幢2单元1203室",
    "{road}１８号３栋２单元１２０３室",
    "{road}18号3-2-1203",
    "云南红河蒙自{road}18号三座二单元一二〇三号",
    "{typo}18号3栋2单元1203室",
    "蒙自市文澜街道{typo}十八号3幢2单元1203",
])
async def test_the_planted_room_tops_noisy_variants(client, police_headers, planted, variant):
    text = variant.format(road=planted["road"], typo=typo(planted["road"]))
    candidates = await match(client, police_headers, text)
    assert candidates[0]["code"] == planted["room"]["code"], candidates[:3]
    assert candidates[0]["kind"] == "room" and candidates[0]["doorplate_code"] == planted["plate"]["code"]


@pytest.mark.parametrize("variant", [
    "{road}18号",
    "{road} 十八号",
    "云南省红河州蒙自市文澜街道{road}１８号",
    "蒙自{road}18号",
    "{typo}18号",
])
async def test_the_planted_doorplate_tops_door_level_variants(client, police_headers, planted, variant):
    text = variant.format(road=planted["road"], typo=typo(planted["road"]))
    candidates = await match(client, police_headers, text)
    assert candidates[0]["code"] == planted["plate"]["code"], candidates[:3]
    assert candidates[0]["kind"] == "doorplate"


async def test_exact_standard_full_names_come_first_with_score_one(client, police_headers, planted):
    for address, kind in ((planted["plate"], "doorplate"), (planted["room"], "room")):
        candidates = await match(client, police_headers, address["full_name"])
        top = candidates[0]
        assert (top["code"], top["kind"], top["score"]) == (address["code"], kind, 1.0)
        assert top["full_name"] == address["full_name"] and "exact standard full name" in top["reasons"]
        assert all(other["score"] <= 1.0 for other in candidates[1:])


async def test_numbers_compare_exactly_and_scope_narrows(client, police_headers, planted):
    road = planted["road"]
    candidates = await match(client, police_headers, f"{road}19号")
    assert candidates[0]["full_name"].endswith(f"{road}19号")
    assert planted["plate"]["code"] in {c["code"] for c in candidates[1:]}, "near misses rank below"
    scoped = await match(client, police_headers, f"{road}18号", division_code=TOWNSHIP, limit=3)
    assert scoped[0]["code"] == planted["plate"]["code"] and len(scoped) <= 3
    elsewhere = await match(client, police_headers, f"{road}18号", division_code="532503002")
    assert planted["plate"]["code"] not in {c["code"] for c in elsewhere}


async def test_merged_and_retired_plates_are_not_candidates(client, police_headers):
    road = unique_name()
    survivor = await register_doorplate(client, police_headers, road, "20")
    duplicate = await register_doorplate(client, police_headers, road, "二十号", allow_duplicate=True)
    merged = await client.post(f"/v1/doorplates/{duplicate['code']}/merge", json={"survivor_code": survivor["code"]},
                               headers=police_headers)
    assert merged.status_code == 200, merged.text
    await read_doorplate(client, police_headers, {"code": survivor["code"], "version": 2})
    codes = [c["code"] for c in await match(client, police_headers, f"{road}20号")]
    assert codes[0] == survivor["code"] and duplicate["code"] not in codes

    demolished = await register_doorplate(client, police_headers, road, "22")
    retired = await client.post(f"/v1/doorplates/{demolished['code']}/retire", json={"reason": "拆迁"},
                                headers=police_headers)
    await read_doorplate(client, police_headers, retired.json(), follow="false")
    codes = [c["code"] for c in await match(client, police_headers, f"{road}22号")]
    assert demolished["code"] not in codes and survivor["code"] in codes


async def test_former_road_names_and_doorplate_aliases_match(client, police_headers):
    old, new = unique_name(), unique_name()
    accepted = await register_doorplate(client, police_headers, old, "5")
    plate = await read_doorplate(client, police_headers, accepted)
    renamed = await client.post(f"/v1/places/{plate['place_code']}/rename",
                                json={"new_name": new, "reason": "地名委员会批复"}, headers=police_headers)
    assert renamed.status_code == 200, renamed.text
    await client.get(f"/v1/places/{plate['place_code']}", params={"min_version": renamed.json()["version"]},
                     headers=police_headers)
    top = (await match(client, police_headers, f"{old}5号"))[0]
    assert top["code"] == plate["code"] and top["full_name"].endswith(f"{new}5号")
    assert any("former name" in reason for reason in top["reasons"])

    alias = unique_name("大厦")
    aliased = await client.post(f"/v1/doorplates/{plate['code']}/aliases", json={"alias": alias},
                                headers=police_headers)
    assert aliased.status_code == 200, aliased.text
    await read_doorplate(client, police_headers, aliased.json())
    by_alias = await match(client, police_headers, alias, division_code=TOWNSHIP)
    assert by_alias[0]["code"] == plate["code"] and f"alias: {alias}" in by_alias[0]["reasons"]
    unscoped = await match(client, police_headers, alias)
    assert unscoped[0]["code"] == plate["code"]


async def test_bad_input_is_a_422_naming_the_field(client, police_headers):
    for body, field in (({"text": ""}, "text"), ({"text": "   "}, "text"), ({"text": "路" * 201}, "text"),
                        ({"text": "天马路18号", "division_code": "999999999"}, "division_code"),
                        ({"text": "天马路18号", "division_code": "蒙自"}, "division_code"),
                        ({"text": "天马路18号", "limit": 0}, "limit")):
        response = await client.post("/v1/addresses/match", json=body, headers=police_headers)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["detail"][0]["loc"] == ["body", field]
    blank = await client.post("/v1/addresses/parse", json={"text": " \t "}, headers=police_headers)
    assert blank.status_code == 422 and blank.json()["detail"][0]["type"] == "text.blank"
    long = await client.post("/v1/addresses/parse", json={"text": "路" * 201}, headers=police_headers)
    assert long.status_code == 422 and long.json()["detail"][0]["loc"] == ["body", "text"]
    nothing = await match(client, police_headers, "无从匹配的一段文字")
    assert isinstance(nothing, list)


async def test_parse_returns_chunks_with_offsets_into_the_text(client, police_headers):
    text = " 云南省红河州蒙自市文澜街道天马路１８号3栋2单元1203室"
    response = await client.post("/v1/addresses/parse", json={"text": text}, headers=police_headers)
    assert response.status_code == 200, response.text
    chunks = response.json()["chunks"]
    assert chunks and all(text[c["start"]:c["end"]] == c["text"] for c in chunks)
    assert any(c["label"] == "road" and "天马路" in c["text"] for c in chunks)
    labels = [c["label"] for c in chunks]
    assert labels[:4] == ["prov", "city", "district", "town"] and labels[-1] == "roomno"
