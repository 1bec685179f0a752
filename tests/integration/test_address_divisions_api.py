"""Divisions over HTTP: every township of China from shipped data, historical codes resolved."""

from __future__ import annotations


async def test_historical_county_code_resolves_to_its_successor(address_client, police_headers):
    response = await address_client.get("/v1/divisions/532522", headers=police_headers)
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "蒙自县" and body["current"] is False and body["valid_to"] == 2010
    assert body["successor"]["code"] == "532503" and body["successor"]["name"] == "蒙自市"


async def test_children_and_name_search(address_client, police_headers):
    towns = (await address_client.get("/v1/divisions/532503/children", headers=police_headers)).json()
    assert towns["count"] == 13 and any(item["name"] == "文澜街道" for item in towns["items"])
    found = (await address_client.get("/v1/divisions", params={"name": "蒙自"}, headers=police_headers)).json()
    assert found["items"][0]["code"] == "532503"
    assert (await address_client.get("/v1/divisions/999999", headers=police_headers)).status_code == 404
