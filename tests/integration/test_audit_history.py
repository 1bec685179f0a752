"""Change history, diffs and time travel from the audit archive, against the real stack and address service."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from fastapi import Depends

from contracts.address import __name__ as address_module
from contracts.events import registered_event_types
from services.address.bootstrap import service as address_service
from services.address.application import AddressService
from services.address.config import AddressSettings
from services.kernel.web.deps import runtime
from tests.integration.address_helpers import TOWNSHIP, read_doorplate, register_doorplate, register_place
from tests.integration.audit_helpers import archived_history, contained, headers, running_audit
from tests.integration.conftest import unique_name

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def audit_client():
    manager, client = await running_audit()
    yield client
    await client.aclose()
    await manager.__aexit__(None, None, None)


@pytest.fixture(scope="module")
def supervisor(settings):
    return headers(settings)


async def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


async def test_every_address_event_type_has_a_history_and_folds_to_the_read_model(
        address_client, police_headers, audit_client, supervisor):
    app = address_client.fastapi
    app.dependency_overrides[address_service] = lambda rt=Depends(runtime): AddressService(
        rt.store, rt.claims, AddressSettings(approval_level="police_station"))
    post, put = address_client.post, address_client.put
    try:
        road = unique_name()
        a = await register_doorplate(address_client, police_headers, road, "18")
        b = await register_doorplate(address_client, police_headers, road, "20")
        dup = await register_doorplate(address_client, police_headers, road, "22")
        await ok(await post(f"/v1/doorplates/{a['code']}/approve", json={"remark": "实地核实"}, headers=police_headers))
        await ok(await post(f"/v1/doorplates/{b['code']}/reject", json={"reason": "门牌号与实地不符"}, headers=police_headers))
        await ok(await post(f"/v1/doorplates/{a['code']}/renumber", json={"number": "19", "reason": "整顿"},
                            headers=police_headers))
        await ok(await put(f"/v1/doorplates/{a['code']}/location",
                           json={"location": {"lng": 103.3712, "lat": 23.3937, "system": "gcj02"}}, headers=police_headers))
        await ok(await post(f"/v1/doorplates/{a['code']}/aliases", json={"alias": "老十八号"}, headers=police_headers))
        await ok(await post(f"/v1/doorplates/{a['code']}/buildings", json={"building": "1栋", "units": 1, "floors": 2,
                                                                          "rooms_per_floor": 2}, headers=police_headers), 201)
        await ok(await post(f"/v1/doorplates/{dup['code']}/approve", json={}, headers=police_headers))
        await ok(await post(f"/v1/doorplates/{dup['code']}/merge", json={"survivor_code": a["code"]}, headers=police_headers))
        await ok(await post(f"/v1/doorplates/{b['code']}/retire", json={"reason": "拆迁"}, headers=police_headers))
    finally:
        app.dependency_overrides.clear()
    other = await register_place(address_client, police_headers, unique_name(), 41, TOWNSHIP)
    await ok(await post(f"/v1/places/{other['code']}/rename", json={"new_name": unique_name("街"), "reason": "批复"},
                        headers=police_headers))
    await ok(await put(f"/v1/places/{other['code']}/numbering-rule", json={"odd_side": "left", "skip": [4]},
                       headers=police_headers))
    retired = await ok(await post(f"/v1/places/{other['code']}/retire", json={"reason": "道路拆除"},
                                  headers=police_headers))

    seen: set[str] = set()
    plates = {a["code"]: None, b["code"]: None, dup["code"]: None}
    store = address_client.fastapi.state.runtime.store
    for code in plates:
        stored = await store.current_version(f"doorplate-{code}")  # the read model and the archive both reach it
        shown = await read_doorplate(address_client, police_headers, {"code": code, "version": stored}, follow="false")
        entries = await archived_history(audit_client, supervisor, f"doorplate-{code}", shown["version"])
        seen |= {entry["event_type"] for entry in entries}
        assert all(entry["changes"] for entry in entries), entries
        state = await ok(await audit_client.get("/v1/audit/state", params={"stream_id": f"doorplate-{code}"},
                                                headers=supervisor))
        assert state["version"] == shown["version"]
        assert contained(state["state"], shown) == []
    place = await ok(await address_client.get(f"/v1/places/{other['code']}",
                                              params={"min_version": retired["version"]}, headers=police_headers))
    entries = await archived_history(audit_client, supervisor, f"place-{other['code']}", retired["version"])
    seen |= {entry["event_type"] for entry in entries}
    state = (await ok(await audit_client.get("/v1/audit/state", params={"stream_id": f"place-{other['code']}"},
                                             headers=supervisor)))["state"]
    assert contained(state, place) == []
    road_plate = await read_doorplate(address_client, police_headers, a)
    road_entries = await archived_history(audit_client, supervisor, f"place-{road_plate['place_code']}", 1)
    seen |= {entry["event_type"] for entry in road_entries}

    address_events = {name for name, cls in registered_event_types().items() if cls.__module__ == address_module}
    assert address_events - seen == set()

    renumber = next(e for e in await archived_history(audit_client, supervisor, f"doorplate-{a['code']}", 1)
                    if e["event_type"] == "DoorplateRenumbered")
    assert {"field": "number", "old": "18", "new": "19"} in renumber["changes"]
    assert renumber["reason"] == "整顿" and renumber["actor"] == {"id": "PC-0001", "role": "police",
                                                                  "organisation_code": "532503"}


async def test_time_travel_before_and_after_a_correction(address_client, police_headers, audit_client, supervisor):
    plate = await register_doorplate(address_client, police_headers, unique_name(), "7")
    stream_id = f"doorplate-{plate['code']}"
    await archived_history(audit_client, supervisor, stream_id, 1)
    before_correction = datetime.now().astimezone()
    await asyncio.sleep(0.05)
    corrected = await ok(await address_client.post(f"/v1/doorplates/{plate['code']}/renumber",
                                                   json={"number": "9", "reason": "纠错"}, headers=police_headers))
    await archived_history(audit_client, supervisor, stream_id, corrected["version"])

    then = await ok(await audit_client.get("/v1/audit/state", headers=supervisor,
                                           params={"stream_id": stream_id, "as_of": before_correction.isoformat()}))
    assert (then["version"], then["state"]["number"]) == (1, "7")
    by_version = await ok(await audit_client.get("/v1/audit/state", headers=supervisor,
                                                 params={"stream_id": stream_id, "version": 1}))
    assert by_version == then
    now = await ok(await audit_client.get("/v1/audit/state", params={"stream_id": stream_id}, headers=supervisor))
    assert (now["version"], now["state"]["number"], now["state"]["door_number"]) == (2, "9", "9号")
    too_early = await audit_client.get("/v1/audit/state", headers=supervisor, params={
        "stream_id": stream_id, "as_of": (before_correction - timedelta(days=365)).isoformat()})
    assert too_early.status_code == 404
    both = await audit_client.get("/v1/audit/state", headers=supervisor,
                                  params={"stream_id": stream_id, "as_of": before_correction.isoformat(), "version": 1})
    assert both.status_code == 422 and both.json()["detail"][0]["type"] == "state.one_cut"
    assert both.json()["detail"][0]["loc"] == ["query", "version"]
    for _ in range(150):  # the audit's own reads of a record's past are logged too (archived asynchronously)
        reads = (await audit_client.get("/v1/audit/access", params={"record_id": stream_id},
                                        headers=supervisor)).json()
        if reads["total"]:
            break
        await asyncio.sleep(0.2)
    assert reads["items"][0]["actor"]["id"] == "SV-0001" and reads["items"][0]["record_type"] == "doorplate"


async def test_only_supervisors_of_the_jurisdiction_read_the_audit(address_client, police_headers, audit_client,
                                                                   supervisor, settings):
    plate = await register_doorplate(address_client, police_headers, unique_name(), "3")
    stream_id = f"doorplate-{plate['code']}"
    await archived_history(audit_client, supervisor, stream_id, 1)
    police = await audit_client.get("/v1/audit/history", params={"stream_id": stream_id}, headers=police_headers)
    assert police.status_code == 403
    elsewhere = headers(settings, org="530102")
    outside = await audit_client.get("/v1/audit/history", params={"stream_id": stream_id}, headers=elsewhere)
    assert outside.status_code == 403 and "532503" in str(outside.json())
    admin = await audit_client.get("/v1/audit/history", params={"stream_id": stream_id},
                                   headers=headers(settings, role="admin", org="530102"))
    assert admin.status_code == 200
    log = await ok(await audit_client.get("/v1/audit/log", headers=elsewhere, params={"actor_id": "PC-0001"}))
    assert log["total"] == 0
    mine = await ok(await audit_client.get("/v1/audit/log", headers=supervisor, params={
        "actor_id": "PC-0001", "entity_type": "Doorplate", "event_type": "DoorplateRegistered",
        "division_code": TOWNSHIP, "page_size": 500}))
    assert mine["total"] >= 1 and {entry["event_type"] for entry in mine["items"]} == {"DoorplateRegistered"}
    ours = [entry for entry in mine["items"] if entry["stream_id"] == stream_id]
    assert ours and {"field": "number", "old": None, "new": "3"} in ours[0]["changes"]
    assert all(entry["actor"]["id"] == "PC-0001" for entry in mine["items"])
