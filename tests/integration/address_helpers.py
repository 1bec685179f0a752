"""Small helpers shared by the address integration tests."""

from __future__ import annotations

TOWNSHIP = "532503001"  # 文澜街道, 蒙自市
CENTRE = (103.3649, 23.3962)  # Mengzi, WGS-84


async def register_doorplate(client, headers, road: str, number: str, expect: int = 201, **extra) -> dict:
    body = {"division_code": TOWNSHIP, "road_name": road, "number": number, **extra}
    response = await client.post("/v1/doorplates", json=body, headers=headers)
    assert response.status_code == expect, response.text
    return response.json()


async def read_doorplate(client, headers, accepted: dict, **params) -> dict:
    response = await client.get(f"/v1/doorplates/{accepted['code']}",
                                params={"min_version": accepted["version"], **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def register_place(client, headers, name: str, element_type: int, parent_code: str, expect: int = 201):
    response = await client.post("/v1/places", json={"element_type": element_type, "name": name,
                                                     "parent_code": parent_code}, headers=headers)
    assert response.status_code == expect, response.text
    return response.json()
