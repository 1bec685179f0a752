"""历史数据导入 of houses and units on the real stack: a batch of the city-load agency goes through the house and
unit registries' bulk path (``create_many``) and is answered record by record as the single registration answers
— accepted with the new record, a second house at an address refused naming the first, an unknown address, a
USCC twice, a wrong check character — and every accepted record reads back from its registry."""

from __future__ import annotations

import asyncio
import random
from contextlib import AsyncExitStack

import pytest

from contracts.uscc import check_character, organisation_check
from services.city.agency_transport import AGENCY
from tests.integration.test_ingest_gate import POLICE, bearer, plate_known, record_id, started

pytestmark = pytest.mark.integration

LOADER = bearer(AGENCY, "agency")


@pytest.fixture(scope="module")
async def stack():
    async with AsyncExitStack() as exits:
        yield {name: await started(exits, name, name) for name in ("address", "person", "house", "unit", "ingest")}


def uscc() -> str:
    organisation = f"{random.randint(10**7, 10**8 - 1)}"
    body = f"91532503{organisation}{organisation_check(organisation) or '0'}"
    return body + check_character(body)


async def plates(stack, count: int) -> list[str]:
    """Door plates the house and unit registries' address replicas know."""
    return [(await plate_known(stack, "house", "unit", number=str(number)))["code"] for number in range(1, count + 1)]


async def answered(stack, records: list[dict], timeout: float = 240.0) -> dict[str, dict]:
    response = await stack["ingest"].post(f"/v1/ingest/{AGENCY}/batches", json={"records": records}, headers=LOADER)
    assert response.status_code == 202, response.text
    url = response.json()["status_url"]
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        status = (await stack["ingest"].get(url, headers=LOADER, params={"limit": 1000})).json()
        if status["done"]:
            return {row["record_id"]: row for row in status["accepted_records"] + status["rejected_records"]}
        await asyncio.sleep(0.5)
    raise AssertionError(f"batch never answered: {status}")


def rules(row: dict) -> list[str]:
    return [reason["rule"] for reason in row.get("reasons") or []]


async def test_a_batch_of_houses_and_units_is_answered_per_record_as_single_registrations_are(stack):
    codes = await plates(stack, 8)
    before = await stack["house"].post("/v1/houses", json={"address_code": codes[0], "property_nature": "private",
                                                           "use": "self_occupied"}, headers=POLICE)
    assert before.status_code == 201, before.text
    house = lambda code, **more: {"address_code": code, "property_nature": "commercial",  # noqa: E731
                                  "use": "rented", "area": 88.0, "rooms": 3, **more}
    houses = [{"record_id": record_id("CL-H"), "entity_type": "house", "fields": house(code)} for code in codes]
    twice = {"record_id": record_id("CL-H"), "entity_type": "house", "fields": house(codes[1], area=120.0)}
    unknown = {"record_id": record_id("CL-H"), "entity_type": "house",
               "fields": house(codes[2][:-4] + ("9999" if codes[2][-4:] != "9999" else "9998"))}
    shared, wrong = uscc(), uscc()
    unit = lambda code, number, **more: {"name": f"蒙自导入{number}号商贸有限公司",  # noqa: E731
                                         "industry_code": "F52", "address_code": code, "uscc": uscc(), **more}
    units = [{"record_id": record_id("CL-U"), "entity_type": "unit", "fields": unit(code, i)}
             for i, code in enumerate(codes[:4])]
    units[1]["fields"]["uscc"] = units[2]["fields"]["uscc"] = shared
    units[3]["fields"]["uscc"] = wrong[:-1] + ("0" if wrong[-1] != "0" else "1")

    rows = await answered(stack, [*houses, twice, unknown, *units])

    assert rules(rows[houses[0]["record_id"]]) == ["house.duplicate"]
    assert before.json()["house_id"] in rows[houses[0]["record_id"]]["reasons"][0]["msg"]
    pair = sorted(rows[r["record_id"]]["status"] for r in (houses[1], twice))  # either may win the address
    assert pair == ["accepted", "rejected"]
    assert rules(rows[unknown["record_id"]]) == ["address.unknown"]
    assert all(rows[r["record_id"]]["status"] == "accepted" for r in houses[2:]), rows
    assert sorted(rows[r["record_id"]]["status"] for r in units[1:3]) == ["accepted", "rejected"]
    refused = next(rows[r["record_id"]] for r in units[1:3] if rows[r["record_id"]]["status"] == "rejected")
    assert rules(refused) == ["unit.duplicate"]
    assert rules(rows[units[3]["record_id"]]) == ["uscc.check"]
    assert rows[units[0]["record_id"]]["status"] == "accepted"

    accepted = [(r, rows[r["record_id"]]) for r in [*houses, twice, *units] if rows[r["record_id"]]["status"] == "accepted"]
    assert len({row["entity_id"] for _, row in accepted}) == len(accepted)
    for record, row in accepted:
        registry, path = ("house", "houses") if record["entity_type"] == "house" else ("unit", "units")
        shown = await stack[registry].get(f"/v1/{path}/{row['entity_id']}", params={"min_version": row["version"]},
                                          headers=POLICE)
        assert shown.status_code == 200, shown.text
        assert shown.json()["address_code"] == record["fields"]["address_code"]
