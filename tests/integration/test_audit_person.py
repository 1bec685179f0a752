"""History, diffs and the fold for the person context: every event type of contracts/person.py made through the
person service, archived by the audit, with its diff; the folded state compared with the person read model."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone

import httpx
import pytest
from asgi_lifespan import LifespanManager

import contracts.person
from tests.integration.address_helpers import register_doorplate
from tests.integration.audit_helpers import archived_history, contained, headers, running_audit
from tests.integration.conftest import unique_name
from tests.integration.test_audit_contexts import event_types_of
from tests.integration.test_person_api import person_body

pytestmark = pytest.mark.integration


#: contracts/person.py's evolve vs the person read model, found by this test and reported to the person context
#: (its contract is not the audit's to edit): a residence entry and the cancellation carry ``person_id``, and the
#: current residence is ``address_code`` in the fold but ``current_address_code`` in the read model.


def days_ago(days: int) -> str:
    return (date.today() - timedelta(days=days)).isoformat()


@pytest.fixture(scope="module")
async def audit():
    manager, client = await running_audit()
    yield client
    await client.aclose()
    await manager.__aexit__(None, None, None)


@pytest.fixture(scope="module")
async def person():
    from services.person.app import build_app

    app = build_app()
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=120) as manager:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://person") as client:
            yield client


async def call(client, path: str, body: dict, auth: dict, expect: int = 200) -> dict:
    response = await client.post(path, json=body, headers=auth)
    assert response.status_code == expect, f"{path}: {response.text}"
    return response.json()


async def move_in(client, person_id: str, code: str, auth: dict) -> dict:
    """The person service's address replica may not know the new plate yet (422 until it does)."""
    for _ in range(300):
        response = await client.post(f"/v1/persons/{person_id}/residence", headers=auth,
                                     json={"address_code": code, "moved_in": days_ago(7), "reason": "务工"})
        if response.status_code == 200:
            return response.json()
        assert response.status_code == 422, response.text
        await asyncio.sleep(0.1)
    raise AssertionError(response.text)


async def compare(audit, supervisor, stream_id: str, shown: dict) -> tuple[set[str], list[str]]:
    entries = await archived_history(audit, supervisor, stream_id, shown["version"])
    assert all(entry["changes"] for entry in entries), [e["event_type"] for e in entries if not e["changes"]]
    state = (await audit.get("/v1/audit/state", params={"stream_id": stream_id}, headers=supervisor)).json()
    assert state["version"] == shown["version"]
    return {entry["event_type"] for entry in entries}, contained(state["state"], shown)


async def test_person_events_history_and_fold(address_client, person, audit, settings):
    police, supervisor = headers(settings, "police", "532503001", "PC-P1"), headers(settings, org="532503")
    body = person_body("migrant")
    a = await call(person, "/v1/persons", body, police, 201)
    duplicate = await call(person, "/v1/persons", {**body, "legacy_import": True}, police, 201)
    pid = a["person_id"]
    plate = await register_doorplate(address_client, police, unique_name(), "9")
    await move_in(person, pid, plate["code"], police)
    await call(person, f"/v1/persons/{pid}/residence-details", {  # 居住类型/房主变更: lodging with a host
        "residence_type": "lodging", "host_person_id": duplicate["person_id"], "changed_on": days_ago(5)}, police)
    await call(person, f"/v1/persons/{pid}/corrections", {"changes": {"occupation": "厨师"}, "reason_code": "01",
                                                          "remark": "采集时录入错误"}, police)
    await call(person, f"/v1/persons/{pid}/renewal", {"valid_until": "2027-12-31"}, police)
    await call(person, f"/v1/persons/{pid}/residence-permit", {"permit_number": "53250320260201",
                                                               "issued_on": days_ago(3), "expires_on": "2027-12-31"},
               police)
    await call(person, f"/v1/persons/{pid}/move-out", {"moved_out": days_ago(2), "reason": "搬家"}, police)
    await call(person, f"/v1/persons/{duplicate['person_id']}/merge", {"survivor_id": pid}, police)
    await call(person, f"/v1/persons/{pid}/category", {"details": {
        "category": "registered", "household_number": "532503009999", "relation_to_head": "户主",
        "lives_at_registered_address": True}, "reason": "落户"}, police)
    last = await call(person, f"/v1/persons/{pid}/cancel", {"reason": "moved_away", "cancelled_on": days_ago(1)},
                      police)

    seen, differences = set(), {}
    foreigner = await call(person, "/v1/persons", person_body("foreigner"), police, 201)
    stayed = await call(person, f"/v1/persons/{foreigner['person_id']}/stay", {
        "permitted_stay_until": "2027-07-17", "visa_type": "S1", "visa_number": "V20261203"}, police)
    stayed = await call(person, f"/v1/persons/{foreigner['person_id']}/accommodation", {  # 境外人员住宿变更
        "accommodation": "hotel", "address_code": plate["code"], "host_unit": "蒙自天马宾馆",
        "arrived_at": (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()}, police)
    settler = await call(person, "/v1/persons", person_body("migrant", arrival_date=days_ago(30)), police, 201)
    settled = await call(person, f"/v1/persons/{settler['person_id']}/settle", {
        "settled_on": days_ago(1), "household_number": "532503009998", "relation_to_head": "户主"}, police)
    unregistered = await call(person, "/v1/persons", person_body("unregistered"), police, 201)
    entered = await call(person, f"/v1/persons/{unregistered['person_id']}/register-household", {
        "registered_on": days_ago(1), "household_number": "532503009997", "relation_to_head": "子"}, police)
    for person_id, version in ((pid, last["version"]), (duplicate["person_id"], 2),  # registered, merged
                               (foreigner["person_id"], stayed["version"]),  # 签证延期, 住宿变更
                               (settler["person_id"], settled["version"]),  # 落户
                               (unregistered["person_id"], entered["version"])):  # 未落户 → 常住
        params = {"follow": "false", "min_version": version}
        shown = (await person.get(f"/v1/persons/{person_id}", params=params, headers=supervisor)).json()
        types, problems = await compare(audit, supervisor, f"person-{person_id}", shown)
        seen |= types
        differences[f"person-{person_id}"] = problems

    # key persons (重点人员): every step of the workflow, approved and refused
    county_police = headers(settings, "police", "532503", "PC-P2")
    listed = await call(person, "/v1/persons", person_body("registered"), police, 201)
    apply = {"person_id": listed["person_id"], "category_code": "04", "problem": "有吸毒史",
             "responsible_unit": "文澜派出所", "responsible_officer": "PC-P1", "control_level": "2"}
    refused = await call(person, "/v1/key-persons", apply, police, 201)
    await call(person, f"/v1/key-persons/{refused['key_person_id']}/reject", {"remark": "材料不全"}, supervisor)
    kept = await call(person, "/v1/key-persons", apply, police, 201)
    kid = kept["key_person_id"]
    steps = [("approve", {"remark": "同意列管"}, supervisor),
             ("recategorize", {"to_category_code": "05", "reason": "新的记录"}, county_police),
             ("approve", {"remark": "同意转类"}, supervisor),
             ("transfer", {"to_division_code": "532503002", "to_unit": "雨过铺派出所", "reason": "迁居"}, county_police),
             ("reject", {"remark": "尚未迁居"}, supervisor),
             ("transfer", {"to_division_code": "532503002", "to_unit": "雨过铺派出所", "reason": "已迁居"}, county_police),
             ("approve", {"remark": "同意转递"}, supervisor),
             ("release", {"reason": "戒断"}, county_police),
             ("reject", {"remark": "观察期未满"}, supervisor),
             ("release", {"reason": "戒断三年"}, county_police),
             ("approve", {"remark": "同意撤管"}, supervisor)]
    for action, step_body, auth in steps:
        last = await call(person, f"/v1/key-persons/{kid}/{action}", step_body, auth)
    for key_person_id, version in ((kid, last["version"]), (refused["key_person_id"], 2)):
        shown = (await person.get(f"/v1/key-persons/{key_person_id}", params={"min_version": version},
                                  headers=supervisor)).json()
        types, problems = await compare(audit, supervisor, f"keyperson-{key_person_id}", shown)
        seen |= types
        differences[f"keyperson-{key_person_id}"] = problems

    assert event_types_of(contracts.person) - seen == set()
    assert all(not problems for problems in differences.values()), differences
