"""Inspection campaigns against the real stack: stratified reproducible sample, cross-inspection, verdicts,
accuracy with its interval, and a rectification task closed by the address service's correcting event."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from services.audit.domain.sampling import allocate
from services.audit.domain.wilson import wilson
from tests.integration.address_helpers import register_doorplate
from tests.integration.audit_helpers import archived_history, headers, running_audit
from tests.integration.conftest import unique_name

pytestmark = pytest.mark.integration
INSPECTORS = [{"id": "PC-KY-01", "organisation_code": "532502"}, {"id": "PC-GJ-01", "organisation_code": "532501"}]


@pytest.fixture(scope="module")
async def audit_client():
    manager, client = await running_audit()
    yield client
    await client.aclose()
    await manager.__aexit__(None, None, None)


async def test_campaign_from_sample_to_closed_rectification(address_client, police_headers, audit_client, settings):
    supervisor = headers(settings)
    plates = []
    for township, count in (("532503004", 6), ("532503005", 3)):
        road = unique_name()
        for n in range(count):
            plates.append(await register_doorplate(address_client, police_headers, road, str(n + 1),
                                                   division_code=township))
    for plate in plates:
        await archived_history(audit_client, supervisor, f"doorplate-{plate['code']}", 1)
    as_of = datetime.now(timezone.utc).isoformat()
    body = {"name": "11月门牌交叉检查", "division_code": "532503", "entity_types": ["Doorplate"], "sample_size": 6,
            "seed": 11, "rectification_days": 10, "inspectors": INSPECTORS, "as_of": as_of}

    police_try = await audit_client.post("/v1/audit/campaigns", json=body, headers=police_headers)
    assert police_try.status_code == 403
    elsewhere = await audit_client.post("/v1/audit/campaigns", json={**body, "division_code": "532502"}, headers=supervisor)
    assert elsewhere.status_code == 403 and elsewhere.json()["record_division"] == "532502"
    same_place = await audit_client.post("/v1/audit/campaigns", headers=supervisor, json={
        **body, "inspectors": [{"id": "PC-LOCAL", "organisation_code": "532503"}]})
    assert same_place.status_code == 422 and same_place.json()["detail"][0]["type"] == "inspectors.same_jurisdiction"
    opened = await audit_client.post("/v1/audit/campaigns", json=body, headers=supervisor)
    assert opened.status_code == 201, opened.text
    campaign = opened.json()
    again = (await audit_client.post("/v1/audit/campaigns", json=body, headers=supervisor)).json()
    assert [i["stream_id"] for i in again["items"]] == [i["stream_id"] for i in campaign["items"]]
    assert campaign["campaign_id"] != again["campaign_id"]

    view = (await audit_client.get(f"/v1/audit/campaigns/{campaign['campaign_id']}", headers=supervisor)).json()
    strata = view["state"]["strata"]
    assert strata["532503004"] >= 6 and strata["532503005"] >= 3
    assert Counter(i["stratum"] for i in campaign["items"]) == allocate(strata, 6)
    assert all(not i["division_code"].startswith(i["inspector_organisation_code"]) for i in campaign["items"])

    ours = {f"doorplate-{p['code']}": p for p in plates}
    wrong = [i for i in campaign["items"] if i["stream_id"] in ours][:1] or campaign["items"][:1]
    for item in campaign["items"]:
        inspector = headers(settings, role="police", org=item["inspector_organisation_code"], sub=item["inspector_id"])
        is_wrong = item in wrong
        verdicts = [{"field": "number", "verdict": "wrong", "correct_value": "88"} if is_wrong
                    else {"field": "number", "verdict": "correct"}, {"field": "location", "verdict": "unverifiable"}]
        answer = await audit_client.post(f"/v1/audit/campaigns/{campaign['campaign_id']}/inspections",
                                         json={"stream_id": item["stream_id"], "verdicts": verdicts, "remark": "实地核查"},
                                         headers=inspector)
        assert answer.status_code == 200, answer.text
    stranger = headers(settings, role="police", org="532501", sub="PC-NOT-ASSIGNED")
    refused = await audit_client.post(f"/v1/audit/campaigns/{campaign['campaign_id']}/inspections", headers=stranger,
                                      json={"stream_id": campaign["items"][0]["stream_id"],
                                            "verdicts": [{"field": "number", "verdict": "correct"}]})
    assert refused.status_code in (403, 409)

    view = (await audit_client.get(f"/v1/audit/campaigns/{campaign['campaign_id']}", headers=supervisor)).json()
    assert view["accuracy"]["records"] == wilson(5, 6).as_dict()
    task = view["rectifications"][0]
    assert (task["stream_id"], task["field"], task["status"], task["overdue"]) == (wrong[0]["stream_id"], "number",
                                                                                  "open", False)
    later = (datetime.now(timezone.utc) + timedelta(days=11)).isoformat()
    # as of a future time the task is overdue only if that time's archive still shows it open; the list reads the
    # archive, which the audit consumer fills a moment after the inspection (later still on a loaded machine)
    deadline = time.monotonic() + 60
    while True:
        overdue = (await audit_client.get("/v1/audit/rectifications", headers=supervisor,
                                          params={"status": "overdue", "as_of": later})).json()
        if any(t["task_id"] == task["task_id"] for t in overdue["items"]) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.3)
    assert any(t["task_id"] == task["task_id"] for t in overdue["items"])

    code = wrong[0]["stream_id"].removeprefix("doorplate-")
    corrected = await address_client.post(f"/v1/doorplates/{code}/renumber", headers=police_headers,
                                          json={"number": "88", "reason": "按检查意见整改", "allow_duplicate": True})
    assert corrected.status_code == 200, corrected.text
    entries = await archived_history(audit_client, supervisor, wrong[0]["stream_id"], corrected.json()["version"])
    # nobody reads the campaign meanwhile: the rectifier (a background task) closes the task by itself, and the
    # closure reaches the archive (an as_of in the future reads the archive without sweeping first)
    soon = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    deadline = time.monotonic() + 60
    while True:
        listed = (await audit_client.get("/v1/audit/rectifications", headers=supervisor,
                                         params={"status": "closed", "as_of": soon})).json()
        found = [t for t in listed["items"] if t["task_id"] == task["task_id"]]
        if found or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.3)
    assert found and found[0]["closing_event_id"] == entries[-1]["event_id"] and found[0]["new_value"] == "88"
    view = (await audit_client.get(f"/v1/audit/campaigns/{campaign['campaign_id']}", headers=supervisor)).json()
    closed = view["rectifications"][0]
    assert (closed["status"], closed["closing_event_id"], closed["overdue"]) == ("closed", entries[-1]["event_id"], False)
    accuracy = (await audit_client.get("/v1/audit/accuracy", headers=supervisor, params={"division_code": "532503"})).json()
    assert accuracy["overall"]["records"]["inspected"] >= 6
    assert accuracy["by_division"] and all(code.startswith("532503") and len(code) == 9 for code in accuracy["by_division"])
