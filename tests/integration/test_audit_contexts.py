"""History, diffs and the fold for the house and unit contexts: every event type of contracts/house.py and
contracts/unit.py made through their services, archived by the audit, folded equal to their read models."""

from __future__ import annotations

import random

import httpx
import pytest
from asgi_lifespan import LifespanManager

import contracts.house
import contracts.unit
from contracts import uscc
from contracts.events import registered_event_types
from services.house.occupants import OCCUPANTS
from services.unit.persons import UNIT_PERSONS
from tests.integration.address_helpers import register_doorplate
from tests.integration.audit_helpers import archived_history, contained, headers, running_audit
from tests.integration.conftest import unique_name
from tests.integration.person_facts import linkable

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def audit():
    manager, client = await running_audit()
    yield client
    await client.aclose()
    await manager.__aexit__(None, None, None)


async def service(name: str):
    import importlib

    app = importlib.import_module(f"services.{name}.app").build_app()
    manager = LifespanManager(app, startup_timeout=60, shutdown_timeout=120)
    await manager.__aenter__()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url=f"http://{name}")
    client.fastapi = app
    return manager, client


@pytest.fixture(scope="module")
async def house_and_unit():
    (house_manager, house), (unit_manager, unit) = await service("house"), await service("unit")
    yield house, unit
    for client, manager in ((house, house_manager), (unit, unit_manager)):
        await client.aclose()
        await manager.__aexit__(None, None, None)


async def until_created(client, path: str, body: dict, police: dict, tries: int = 600, expect: int = 201) -> dict:
    """POST until the service's address replica knows the new plate (it answers 422 until then)."""
    import asyncio

    for _ in range(tries):
        response = await client.post(path, json=body, headers=police)
        if response.status_code == expect:
            return response.json()
        assert response.status_code == 422, response.text
        await asyncio.sleep(0.1)
    raise AssertionError(f"{path} never accepted {body}: {response.text}")


async def step(client, path: str, body: dict, police: dict, expect: int = 200) -> dict:
    response = await client.post(path, json=body, headers=police)
    assert response.status_code == expect, response.text
    return response.json()


def event_types_of(module) -> set[str]:
    return {name for name, cls in registered_event_types().items() if cls.__module__ == module.__name__}


async def folded_equals_read_model(audit, supervisor, stream_id: str, shown: dict) -> set[str]:
    entries = await archived_history(audit, supervisor, stream_id, shown["version"])
    assert all(entry["changes"] for entry in entries), [e for e in entries if not e["changes"]]
    state = (await audit.get("/v1/audit/state", params={"stream_id": stream_id}, headers=supervisor)).json()
    assert state["version"] == shown["version"]
    assert contained(state["state"], shown) == []
    return {entry["event_type"] for entry in entries}


async def test_house_events_history_and_fold(address_client, house_and_unit, audit, police_headers, settings):
    house, _ = house_and_unit
    plate = await register_doorplate(address_client, police_headers, unique_name(), "6")
    accepted = await until_created(house, "/v1/houses", {"address_code": plate["code"], "property_nature": "private",
                                                         "use": "self_occupied", "rooms": 3}, police_headers)
    base = f"/v1/houses/{accepted['house_id']}"
    await step(house, f"{base}/use", {"use": "rented", "reason": "出租"}, police_headers)
    await step(house, f"{base}/corrections", {"area": 88.5, "reason": "实地核查"}, police_headers)
    await step(house, f"{base}/owner", {"owner": {"name": "李四"}, "reason": "过户"}, police_headers)
    supervisor = headers(settings)  # 管理等级/重点房屋: set directly by a supervisor, or requested by police
    await step(house, f"{base}/key-status", {"management_level": "attention", "key_house": True,
                                             "key_reason": "人员复杂"}, supervisor)
    asked = await step(house, f"{base}/key-status-requests", {"management_level": "strict", "key_house": True,
                                                              "key_reason": "人员复杂", "reason": "多次接报"},
                       police_headers, 201)
    await step(house, f"{base}/key-status-requests/{asked['request_id']}/approve", {"remark": "同意"}, supervisor)
    asked = await step(house, f"{base}/key-status-requests", {"management_level": "normal", "key_house": False,
                                                              "reason": "已整改"}, police_headers, 201)
    await step(house, f"{base}/key-status-requests/{asked['request_id']}/reject", {"remark": "未整改到位"}, supervisor)
    rented = await step(house, f"{base}/rentals", {"lessor": {"name": "李四"}, "rooms_let": 2, "start": "2026-10-01",
                                                   "security_person": {"name": "李四"}}, police_headers, 201)
    rental_id = (await house.get(base, params={"min_version": rented["version"]},
                                 headers=police_headers)).json()["rentals"][0]["rental_id"]
    tenant = await linkable(settings, house, OCCUPANTS)  # a registered person (issue 16: links checked)
    await step(house, f"{base}/rentals/{rental_id}/tenants", {"person_id": tenant, "moved_in": "2026-10-02"},
               police_headers, 201)
    await step(house, f"{base}/rentals/{rental_id}/terms", {"changed_on": "2026-10-10", "end": "2027-12-31",
                                                             "monthly_rent": 1300, "reason": "续租加价"}, police_headers)
    await step(house, f"{base}/rentals/{rental_id}/lessor", {"lessor": {"name": "赵六"}, "lessor_role": "agent",
                                                              "replaced_on": "2026-10-11"}, police_headers)
    await step(house, f"{base}/rentals/{rental_id}/security-person", {"security_person": {"name": "王五"},
                                                                       "replaced_on": "2026-10-12"}, police_headers)
    await step(house, f"{base}/rentals/{rental_id}/tenants/{tenant}/move-out", {"moved_out": "2026-10-20"},
               police_headers)
    await step(house, f"{base}/rentals/{rental_id}/end", {"ended_on": "2026-10-31", "reason": "到期"}, police_headers)
    await step(house, f"{base}/checks", {"checked_on": "2026-11-03", "anyone_home": True}, police_headers, 201)
    last = await step(house, f"{base}/demolish", {"on": "2026-11-20", "reason": "旧城改造拆除"}, police_headers)
    shown = (await house.get(base, params={"min_version": last["version"]}, headers=police_headers)).json()
    seen = await folded_equals_read_model(audit, headers(settings), f"house-{accepted['house_id']}", shown)
    assert event_types_of(contracts.house) - seen == set()


def fresh_uscc() -> str:
    body = "".join(random.choices(uscc.ALPHABET, k=8))
    first17 = f"92532503{body}{uscc.organisation_check(body)}"
    return first17 + uscc.check_character(first17)


async def test_unit_events_history_and_fold(address_client, house_and_unit, audit, police_headers, settings):
    _, unit = house_and_unit
    plate = await register_doorplate(address_client, police_headers, unique_name(), "8")
    accepted = await until_created(unit, "/v1/units", {
        "name": "审计测试宾馆", "industry_code": "H61", "address_code": plate["code"], "unit_type": "individual_business",
        "uscc": fresh_uscc(), "opened_on": "2020-05-01"}, police_headers)
    base = f"/v1/units/{accepted['unit_id']}"
    licence = {"kind": "特种行业许可证", "number": "滇公特旅字第0001号", "valid_until": "2028-12-31"}
    await step(unit, f"{base}/suspend", {"on": "2026-10-01", "reason": "装修"}, police_headers)
    await step(unit, f"{base}/reopen", {"on": "2026-10-10", "reason": "装修完毕"}, police_headers)
    await step(unit, f"{base}/licences", {"licence": licence}, police_headers)
    await step(unit, f"{base}/special-trades", {"trade": "hotel", "since": "2026-09-01"}, police_headers)
    await step(unit, f"{base}/special-trades/hotel/remove", {"on": "2026-11-11", "reason": "不再经营"}, police_headers)
    employee = await linkable(settings, unit, UNIT_PERSONS)
    await step(unit, f"{base}/employees", {"person_id": employee, "position": "前台", "hired": "2026-01-05"},
               police_headers, 201)
    await step(unit, f"{base}/employees/{employee}/leave", {"left": "2026-04-01"}, police_headers)
    inspected = await step(unit, f"{base}/inspections", {
        "inspected_on": "2026-10-03", "findings": "消防通道堵塞", "rectification_required": True,
        "rectification_deadline": "2026-10-10"}, police_headers, 201)
    inspection = (await unit.get(base, params={"min_version": inspected["version"]},
                                 headers=police_headers)).json()["inspections"][0]["inspection_id"]
    await step(unit, f"{base}/inspections/{inspection}/follow-ups", {"followed_up_on": "2026-10-12", "rectified": True},
               police_headers)
    await step(unit, f"{base}/corrections", {"phone": "0873-1234567", "reason": "补录"}, police_headers)
    await step(unit, f"{base}/rename", {"name": "审计测试酒店", "renamed_on": "2026-10-13", "reason": "营业执照名称变更"},
               police_headers)
    await step(unit, f"{base}/legal-representative", {"legal_representative": {"name": "钱七"},
                                                       "changed_on": "2026-10-14"}, police_headers)
    await step(unit, f"{base}/uscc", {"uscc": fresh_uscc(), "reason": "更正"}, police_headers)
    moved_to = await register_doorplate(address_client, police_headers, unique_name(), "10")
    await until_created(unit, f"{base}/relocate", {"address_code": moved_to["code"], "moved_on": "2026-11-15"},
                        police_headers, expect=200)
    last = await step(unit, f"{base}/close", {"on": "2026-11-20", "reason": "歇业"}, police_headers)
    shown = (await unit.get(base, params={"min_version": last["version"]}, headers=police_headers)).json()
    seen = await folded_equals_read_model(audit, headers(settings), f"unit-{accepted['unit_id']}", shown)
    assert event_types_of(contracts.unit) - seen == set()
