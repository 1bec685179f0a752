"""One overdue-inspection rule (contracts/inspections.py): the monthly report's 逾期未检查 of a township equals the
units GET /v1/units/inspections-due lists there, on the same units: overdue, inspected in time, suspended (not
inspected on a cycle), inspected before it took up the trade, and just taken up."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from contracts.calendar import china_today
from services.kernel.web.auth import mint_token
from tests.integration.address_helpers import register_doorplate
from tests.integration.audit_helpers import audit_service
from tests.integration.conftest import unique_name
from tests.integration.test_unit_registry import post, register_unit, unit_client  # noqa: F401 - a fixture

pytestmark = pytest.mark.integration
TOWN = "532503203"  # 水田乡: no other test registers units there
audit = pytest.fixture(scope="module", name="audit")(audit_service)


async def known_plate(address_client, unit_client, headers) -> str:  # noqa: F811 - the fixture's name
    from services.replicas.address import lookup_address
    from services.unit.projections import addresses

    plate = await register_doorplate(address_client, headers, unique_name(), "3", division_code=TOWN)
    replica = unit_client.fastapi.state.runtime.read_model(addresses.name, addresses.name)
    for _ in range(600):
        if await lookup_address(replica, plate["code"]):
            return plate["code"]
        await asyncio.sleep(0.1)
    raise AssertionError("the unit service's address replica never saw the door plate")


async def test_the_report_and_the_worklist_count_the_same_overdue_units(address_client, unit_client, audit,  # noqa: F811
                                                                          settings):
    police = {"Authorization": "Bearer " + mint_token("PC-0003", "police", TOWN, settings)}
    supervisor = {"Authorization": "Bearer " + mint_token("SV-0003", "supervisor", TOWN, settings)}
    today = china_today()
    plate = await known_plate(address_client, unit_client, police)
    long_ago, lately = (today - timedelta(days=90)).isoformat(), (today - timedelta(days=5)).isoformat()
    cases = {"overdue": (long_ago, None, False), "inspected": (long_ago, lately, False),
             "suspended": (long_ago, None, True), "inspected_before_trade": (lately, long_ago, False),
             "new": (lately, None, False)}
    units = {}
    for name, (since, inspected_on, suspended) in cases.items():
        unit = await register_unit(unit_client, police, plate, name=f"水田{name}", opened_on="2020-05-01")
        path = f"/v1/units/{unit['unit_id']}"
        await post(unit_client, police, f"{path}/special-trades", {"trade": "hotel", "since": since})
        if inspected_on:
            await post(unit_client, police, f"{path}/inspections", {"inspected_on": inspected_on}, expect=201)
        if suspended:
            await post(unit_client, police, f"{path}/suspend", {"on": lately, "reason": "装修"})
        units[name] = unit["unit_id"]

    async def listed() -> set[str]:
        answer = await unit_client.get("/v1/units/inspections-due", params={"limit": 1000}, headers=supervisor)
        assert answer.status_code == 200, answer.text
        return {row["unit_id"] for row in answer.json()["items"]}

    async def reported() -> int:
        answer = await audit.get(f"/v1/audit/reports/monthly/{today:%Y-%m}", headers=supervisor,
                                 params={"division_code": TOWN})
        assert answer.status_code == 200, answer.text
        return answer.json()["entities"]["unit"]["total"]["special_trade_inspections_overdue"]

    deadline = time.monotonic() + 90
    while (due := await listed()) != {units["overdue"]} and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
    assert due == {units["overdue"]}
    while (count := await reported()) != len(due) and time.monotonic() < deadline + 60:
        await asyncio.sleep(1)  # the archive catches up with the unit events
    assert count == len(due)
