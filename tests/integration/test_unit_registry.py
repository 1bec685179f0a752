"""The unit service against the real Kafka and MongoDB: units on real addresses, one per USCC, status
lifecycle, employees and a person's employers, special-trade inspection cycles, overdue rectifications,
and a rebuild of every read model."""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest
from asgi_lifespan import LifespanManager

from contracts import uscc
from services.kernel.web.auth import mint_token
from services.kernel.operations.rebuild import rebuild
from services.replicas.address import lookup_address
from services.unit.commands import RegisterUnit
from services.unit.persons import UNIT_PERSONS
from services.unit.projections import addresses, registry
from tests.integration.address_helpers import TOWNSHIP, register_doorplate
from tests.integration.conftest import unique_name
from tests.integration.person_facts import linkable
from tests.integration.test_rebuild import caught_up_with_the_log, snapshot

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def unit_client():
    from services.unit.app import build_app

    app = build_app()
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=120) as manager:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://unit") as client:
            client.fastapi = app
            yield client


def supervisor_headers() -> dict:
    return {"Authorization": "Bearer " + mint_token("SV-0001", "supervisor", "532503")}


def fresh_uscc() -> str:
    """A valid USCC nobody else in this run registers (random organisation body, correct checks)."""
    body = "".join(random.choices(uscc.ALPHABET, k=8))
    first17 = f"92532503{body}{uscc.organisation_check(body)}"
    return first17 + uscc.check_character(first17)


async def plate_known_to_units(address_client, unit_client, headers) -> dict:
    plate = await register_doorplate(address_client, headers, unique_name(), "18")
    replica = unit_client.fastapi.state.runtime.read_model(addresses.name, addresses.name)
    for _ in range(300):
        if await lookup_address(replica, plate["code"]):
            return plate
        await asyncio.sleep(0.1)
    raise AssertionError("the unit service's address replica never saw the door plate")


async def register_unit(unit_client, headers, address_code: str, expect: int = 201, **fields) -> dict:
    body = {"name": "蒙自天马宾馆", "industry_code": "H61", "address_code": address_code, "unit_type": "individual_business",
            "opened_on": "2020-05-01", **fields}
    response = await unit_client.post("/v1/units", json=body, headers=headers)
    assert response.status_code == expect, response.text
    return response.json()


async def read_unit(unit_client, headers, accepted: dict, **params) -> dict:
    response = await unit_client.get(f"/v1/units/{accepted['unit_id']}",
                                     params={"min_version": accepted["version"], **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def post(unit_client, headers, path: str, body: dict, expect: int = 200) -> dict:
    response = await unit_client.post(path, json=body, headers=headers)
    assert response.status_code == expect, response.text
    return response.json()


async def test_the_openapi_example_registers_a_unit(address_client, unit_client, police_headers, settings):
    """The documented example is a complete, valid registration (only its address and its legal representative,
    a person who must be registered, are swapped for live ones)."""
    example = RegisterUnit.model_json_schema()["examples"][0]
    plate = await plate_known_to_units(address_client, unit_client, police_headers)
    representative = {"person_id": await linkable(settings, unit_client, UNIT_PERSONS)}
    accepted = await register_unit(unit_client, police_headers, **{**example, "address_code": plate["code"],
                                                                   "legal_representative": representative,
                                                                   "uscc": fresh_uscc(), "unit_type": "individual_business"})
    unit = await read_unit(unit_client, police_headers, accepted)
    assert unit["name"] == example["name"] and unit["licences"][0]["kind"] == "营业执照"


async def test_one_unit_per_uscc_lookup_and_units_without_one(address_client, unit_client, police_headers):
    plate = await plate_known_to_units(address_client, unit_client, police_headers)
    code = fresh_uscc()
    accepted = await register_unit(unit_client, police_headers, plate["code"], uscc=code.lower())
    assert accepted["version"] == 1 and accepted["stream_id"] == f"unit-{accepted['unit_id']}"
    unit = await read_unit(unit_client, police_headers, accepted)
    assert (unit["uscc"], unit["industry_code"], unit["status"], unit["division_code"]) == (code, "H61", "open", TOWNSHIP)
    assert unit["address_name"].endswith("18号") and not unit["uscc_missing"]

    twice = await register_unit(unit_client, police_headers, plate["code"], expect=409, uscc=code, name="别家")
    assert twice["type"] == "unit.duplicate" and accepted["unit_id"] in twice["detail"]
    found = await unit_client.get("/v1/units", params={"uscc": code.lower()}, headers=police_headers)
    assert [u["unit_id"] for u in found.json()["items"]] == [accepted["unit_id"]]

    letter = "N2" + code[2:17]
    letter += uscc.check_character(letter)
    assert (await register_unit(unit_client, police_headers, plate["code"], uscc=letter, unit_type="cooperative"))

    bare = await register_unit(unit_client, police_headers, plate["code"], name="无照摊点")
    assert bare["warnings"][0].startswith("unit.no_uscc")
    assert (await read_unit(unit_client, police_headers, bare))["uscc_missing"]
    flagged = await unit_client.get("/v1/units", params={"without_uscc": True, "limit": 1000}, headers=police_headers)
    ids = [u["unit_id"] for u in flagged.json()["items"]]
    assert bare["unit_id"] in ids and accepted["unit_id"] not in ids


async def test_bad_codes_name_field_and_rule(address_client, unit_client, police_headers):
    plate = await plate_known_to_units(address_client, unit_client, police_headers)
    for fields, field, rule in [({"uscc": "91110108551385082A"}, "uscc", "uscc.check"),
                                ({"industry_code": "I61"}, "industry_code", "industry.section_mismatch"),
                                ({"industry_code": "I99"}, "industry_code", "industry.division")]:
        refused = await register_unit(unit_client, police_headers, plate["code"], expect=422, **fields)
        assert refused["detail"][0]["loc"][-1] == field and refused["detail"][0]["type"] == rule
    unknown = await register_unit(unit_client, police_headers, "532503001509999999999999", expect=422)
    assert unknown["detail"][0]["loc"][-1] == "address_code"


async def test_status_lifecycle(address_client, unit_client, police_headers):
    plate = await plate_known_to_units(address_client, unit_client, police_headers)
    unit = await register_unit(unit_client, police_headers, plate["code"])
    path = f"/v1/units/{unit['unit_id']}"
    await post(unit_client, police_headers, f"{path}/suspend", {"on": "2026-01-10", "reason": "装修"})
    again = await unit_client.post(f"{path}/suspend", json={"on": "2026-01-11"}, headers=police_headers)
    assert again.status_code == 409 and again.json()["type"] == "unit.not_open"
    closed = await post(unit_client, police_headers, f"{path}/close", {"on": "2026-03-01", "reason": "注销"})
    record = await read_unit(unit_client, police_headers, closed)
    assert (record["status"], record["closed_on"]) == ("closed", "2026-03-01")
    reopened = await post(unit_client, police_headers, f"{path}/reopen", {"on": "2026-06-01"})
    assert (await read_unit(unit_client, police_headers, reopened))["status"] == "open"


async def test_employees_and_a_persons_employers(address_client, unit_client, police_headers, settings):
    plate = await plate_known_to_units(address_client, unit_client, police_headers)
    first = await register_unit(unit_client, police_headers, plate["code"], name="甲店")
    second = await register_unit(unit_client, police_headers, plate["code"], name="乙店")
    person = await linkable(settings, unit_client, UNIT_PERSONS)  # a registered person (issue 16: links checked)
    await post(unit_client, police_headers, f"/v1/units/{first['unit_id']}/employees",
               {"person_id": person, "position": "前台", "hired": "2025-01-05"}, expect=201)
    hired = await post(unit_client, police_headers, f"/v1/units/{second['unit_id']}/employees",
                       {"person_id": person, "position": "保安", "hired": "2025-03-01"}, expect=201)
    twice = await unit_client.post(f"/v1/units/{second['unit_id']}/employees", headers=police_headers,
                                   json={"person_id": person, "position": "保安", "hired": "2025-03-02"})
    assert twice.status_code == 409
    await read_unit(unit_client, police_headers, hired)
    employers = await unit_client.get("/v1/units/employers", params={"person_id": person}, headers=police_headers)
    assert sorted(e["position"] for e in employers.json()["items"]) == ["保安", "前台"]

    left = await post(unit_client, police_headers, f"/v1/units/{first['unit_id']}/employees/{person}/leave",
                      {"left": "2026-02-01"})
    record = await read_unit(unit_client, police_headers, left)
    assert record["employees"][0]["left"] == "2026-02-01" and record["current_employees"] == 0
    now = await unit_client.get("/v1/units/employers", params={"person_id": person}, headers=police_headers)
    assert [e["unit_id"] for e in now.json()["items"]] == [second["unit_id"]]
    ever = await unit_client.get("/v1/units/employers", params={"person_id": person, "current_only": False},
                                 headers=police_headers)
    assert len(ever.json()["items"]) == 2


async def test_special_trade_inspection_cycle_and_overdue_rectification(address_client, unit_client, police_headers):
    plate = await plate_known_to_units(address_client, unit_client, police_headers)
    unit = await register_unit(unit_client, police_headers, plate["code"])
    path = f"/v1/units/{unit['unit_id']}"
    trade = await post(unit_client, police_headers, f"{path}/special-trades", {
        "trade": "hotel", "since": "2026-09-01",
        "licence": {"kind": "特种行业许可证", "number": "滇公特旅字0001", "valid_from": "2026-09-01"}})
    assert (await read_unit(unit_client, police_headers, trade))["special_trades"][0]["name"] == "旅馆业"
    supervisor = supervisor_headers()

    async def due(as_of: str) -> list[str]:
        listed = await unit_client.get("/v1/units/inspections-due", params={"as_of": as_of, "trade": "hotel"},
                                       headers=supervisor)
        assert listed.status_code == 200, listed.text
        return [row["unit_id"] for row in listed.json()["items"]]

    assert unit["unit_id"] not in await due("2026-10-01")
    assert unit["unit_id"] in await due("2026-10-05")  # 30-day hotel cycle from 09-01
    inspected = await post(unit_client, police_headers, f"{path}/inspections", {
        "inspected_on": "2026-10-03", "inspectors": ["PC-0001", "PC-0002"], "findings": "消防通道堵塞",
        "rectification_required": True, "rectification_notice": "蒙公(文)限改字[2026]17号",
        "rectification_deadline": "2026-10-10"}, expect=201)
    record = await read_unit(unit_client, police_headers, inspected, as_of="2026-10-12")
    assert record["rectifications_overdue"][0]["inspection_id"] == inspected["inspection_id"]
    assert unit["unit_id"] not in await due("2026-10-20")

    async def overdue(as_of: str) -> list[str]:
        listed = await unit_client.get("/v1/units/rectifications-overdue", params={"as_of": as_of}, headers=supervisor)
        return [row["inspection_id"] for row in listed.json()["items"]]

    assert inspected["inspection_id"] not in await overdue("2026-10-10")
    assert inspected["inspection_id"] in await overdue("2026-10-12")
    followed = await post(unit_client, police_headers, f"{path}/inspections/{inspected['inspection_id']}/follow-ups",
                          {"followed_up_on": "2026-10-12", "rectified": True, "result": "已清理"})
    await read_unit(unit_client, police_headers, followed)
    assert inspected["inspection_id"] not in await overdue("2026-10-20")
    trades = await unit_client.get("/v1/special-trades", headers=police_headers)
    assert {"code": "hotel", "name": "旅馆业"}.items() <= trades.json()["items"][0].items()


async def test_rebuild_of_every_unit_read_model_equals_live(address_client, unit_client, police_headers, settings):
    plate = await plate_known_to_units(address_client, unit_client, police_headers)
    unit = await register_unit(unit_client, police_headers, plate["code"], uscc=fresh_uscc())
    person = await linkable(settings, unit_client, UNIT_PERSONS)
    hired = await post(unit_client, police_headers, f"/v1/units/{unit['unit_id']}/employees",
                       {"person_id": person, "position": "前台", "hired": "2025-01-05"}, expect=201)
    await read_unit(unit_client, police_headers, hired)
    rt = unit_client.fastapi.state.runtime
    for projection in (registry, addresses):
        live = rt.runners[projection.name].generation
        await caught_up_with_the_log(settings, rt.runners[projection.name])
        report = await rebuild(settings, "unit", projection, swap=False)
        for logical in projection.collections:
            rebuilt, current = await snapshot(rt.db, logical, report.generation), await snapshot(rt.db, logical, live)
            assert rebuilt == current, f"{projection.name}/{logical} differs after a rebuild"


async def test_jurisdiction_and_the_access_log(address_client, unit_client, police_headers):
    plate = await plate_known_to_units(address_client, unit_client, police_headers)
    code = fresh_uscc()
    unit = await register_unit(unit_client, police_headers, plate["code"], uscc=code)
    await read_unit(unit_client, police_headers, unit)
    outside = {"Authorization": "Bearer " + mint_token("PC-9", "police", "532502")}
    refused = await unit_client.get(f"/v1/units/{unit['unit_id']}", headers=outside)
    assert refused.status_code == 403 and refused.json()["record_division"] == TOWNSHIP
    hire = await unit_client.post(f"/v1/units/{unit['unit_id']}/employees", headers=outside,
                                  json={"person_id": "P-x", "position": "前台", "hired": "2026-01-01"})
    assert hire.status_code == 403
    listed = await unit_client.get("/v1/units", params={"uscc": code}, headers=outside)
    assert listed.json()["items"] == [], "filtered, not refused"
    found = await unit_client.get("/v1/units", params={"uscc": code}, headers=police_headers)
    assert [u["unit_id"] for u in found.json()["items"]] == [unit["unit_id"]]

    db = unit_client.fastapi.state.runtime.db
    assert (await db["access_log"].find_one({"payload.record_id": unit["unit_id"]}))["payload"]["record_type"] == "unit"
    assert await db["access_log"].find_one({"payload.lookup.uscc": code, "actor.id": "PC-0001"}) is not None


async def test_corrections_and_a_uscc_recorded_later(address_client, unit_client, police_headers):
    plate = await plate_known_to_units(address_client, unit_client, police_headers)
    bare = await register_unit(unit_client, police_headers, plate["code"], name="无照摊点")
    corrected = await post(unit_client, police_headers, f"/v1/units/{bare['unit_id']}/corrections",
                           {"name": "天马小吃店", "phone": "0873-1234567", "reason": "办理营业执照后更名"})
    record = await read_unit(unit_client, police_headers, corrected)
    assert (record["name"], record["phone"], record["industry_code"]) == ("天马小吃店", "0873-1234567", "H61")
    bad = await unit_client.post(f"/v1/units/{bare['unit_id']}/corrections", headers=police_headers,
                                 json={"industry_code": "A62", "reason": "x"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "industry_code"]

    code = fresh_uscc()
    recorded = await post(unit_client, police_headers, f"/v1/units/{bare['unit_id']}/uscc", {"uscc": code})
    assert not (await read_unit(unit_client, police_headers, recorded))["uscc_missing"]
    found = await unit_client.get("/v1/units", params={"uscc": code}, headers=police_headers)
    assert [u["unit_id"] for u in found.json()["items"]] == [bare["unit_id"]]
    clash = await register_unit(unit_client, police_headers, plate["code"], expect=409, uscc=code)
    assert bare["unit_id"] in clash["detail"]
