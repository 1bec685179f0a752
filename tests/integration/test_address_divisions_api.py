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


async def walk(client, path: str, headers: dict, **params) -> list[dict]:
    """Every page of a list route, checking each page's total against the first's."""
    pages, cursor = [], None
    while True:
        page = (await client.get(path, headers=headers, params={**params, **({"cursor": cursor} if cursor else {})})).json()
        assert not pages or page["total"] == pages[0]["total"]
        pages.append(page)
        cursor = page["next_cursor"]
        if cursor is None:
            return pages


async def test_division_lists_page_completely_with_their_total(address_client, police_headers):
    pages = await walk(address_client, "/v1/divisions/53/children", police_headers, limit=5)
    codes = [item["code"] for page in pages for item in page["items"]]
    assert len(pages) == 4 and pages[0]["total"] == pages[0]["count"] == 16 and len(set(codes)) == 16
    assert "5325" in codes and codes == sorted(codes)
    whole = (await address_client.get("/v1/divisions", params={"name": "蒙自", "limit": 1000},
                                      headers=police_headers)).json()
    found = await walk(address_client, "/v1/divisions", police_headers, name="蒙自", limit=1)
    assert [item["code"] for page in found for item in page["items"]] == [item["code"] for item in whole["items"]]
    assert found[0]["items"][0]["code"] == "532503" and len(found) == whole["total"] >= 2
