"""The address slice end to end in-process: HTTP command -> event store -> Kafka -> read model -> query."""

from __future__ import annotations

import asyncio
import time

from tests.integration.conftest import unique_name

from services.kernel.web.auth import mint_token


async def test_registered_doorplate_appears_in_the_read_model(address_client, police_headers):
    road = unique_name()
    response = await address_client.post(
        "/v1/doorplates", json={"division_code": "532503001", "road_name": road, "number": "18"}, headers=police_headers
    )
    assert response.status_code == 201, response.text
    accepted = response.json()
    assert accepted["version"] == 1
    read = await address_client.get(f"/v1/doorplates/{accepted['code']}", params={"min_version": 1}, headers=police_headers)
    assert read.status_code == 200, read.text
    doorplate = read.json()
    assert doorplate["door_number"] == "18号" and doorplate["place_name"] == road
    assert doorplate["full_name"].endswith(f"{road}18号") and "蒙自市" in doorplate["full_name"]
    assert doorplate["registered_by"] == "PC-0001"

    second = await address_client.post(
        "/v1/doorplates", json={"division_code": "532503001", "road_name": road, "number": "2"}, headers=police_headers
    )
    await address_client.get(f"/v1/doorplates/{second.json()['code']}", params={"min_version": 1}, headers=police_headers)
    listing = await address_client.get("/v1/doorplates", params={"road_name": road}, headers=police_headers)
    assert [item["door_number"] for item in listing.json()["items"]] == ["2号", "18号"]
    assert len({item["place_code"] for item in listing.json()["items"]}) == 1, "one road, registered once"


async def test_invalid_input_gets_422_naming_the_field(address_client, police_headers):
    unknown = await address_client.post(
        "/v1/doorplates", json={"division_code": "999999", "road_name": "天马路", "number": "1"}, headers=police_headers
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "division_code"]
    assert unknown.json()["detail"][0]["type"] == "division.unknown"
    empty = await address_client.post(
        "/v1/doorplates", json={"division_code": "532503001", "road_name": "天马路", "number": ""}, headers=police_headers
    )
    assert empty.status_code == 422
    assert empty.json()["detail"][0]["loc"] == ["body", "number"]
    assert empty.json()["detail"][0]["type"] == "string_too_short"
    listing = await address_client.get("/v1/doorplates", params={"division_code": "999999"}, headers=police_headers)
    assert listing.json()["items"] == [], "nothing refused was registered"


async def test_unknown_doorplate_is_404(address_client, police_headers):
    response = await address_client.get("/v1/doorplates/0000000000", headers=police_headers)
    assert response.status_code == 404
    assert response.json()["kind"] == "doorplate" and response.json()["id"] == "0000000000"


async def test_requests_without_a_valid_token_get_401(address_client, settings):
    missing = await address_client.get("/v1/doorplates", params={"road_name": "天马路"})
    assert missing.status_code == 401 and "missing bearer token" in missing.json()["detail"]
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    forged = await address_client.get("/v1/doorplates", params={"road_name": "天马路"},
                                      headers={"Authorization": "Bearer not.a.jwt"})
    assert forged.status_code == 401 and "invalid" in forged.json()["detail"]
    expired = mint_token("u", "police", "532503", settings, ttl_seconds=-10)
    old = await address_client.get("/v1/doorplates", params={"road_name": "天马路"},
                                   headers={"Authorization": f"Bearer {expired}"})
    assert old.status_code == 401 and "expired" in old.json()["detail"]


async def test_health_readiness_and_metrics_need_no_token(address_client):
    assert (await address_client.get("/healthz")).json()["status"] == "ok"
    deadline = time.monotonic() + 60  # ready once its read models were each read once (warmup.py)
    while (ready := await address_client.get("/readyz")).json().get("read_models") == "warming" \
            and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert ready.status_code == 200 and ready.json() == {"status": "ok", "mongodb": "ok", "kafka": "ok",
                                                         "read_models": "ok"}
    metrics = (await address_client.get("/metrics")).text
    for name in ("ybss_http_requests_total", "ybss_events_appended_total", "ybss_relay_lag_events",
                 "ybss_projection_apply_seconds", "ybss_dead_letters_total"):
        assert name in metrics


async def test_waiting_for_a_version_never_written_answers_at_once(address_client, police_headers):
    unknown = await address_client.get("/v1/doorplates/0", params={"min_version": 1}, headers=police_headers)
    assert unknown.status_code == 404 and unknown.json()["id"] == "0"
    accepted = (await address_client.post("/v1/doorplates", headers=police_headers, json={
        "division_code": "532503001", "road_name": unique_name(), "number": "1"})).json()
    ahead = await address_client.get(f"/v1/doorplates/{accepted['code']}", params={"min_version": 5},
                                     headers=police_headers)
    assert ahead.status_code == 422 and ahead.json()["detail"][0]["loc"] == ["query", "min_version"]
    assert ahead.json()["detail"][0]["type"] == "min_version.ahead" and "version 1" in ahead.json()["detail"][0]["msg"]


async def test_out_of_range_query_parameters_are_422_not_500(address_client, police_headers):
    response = await address_client.get("/v1/doorplates/0/rooms", headers=police_headers,
                                        params={"floor": 567576051774392631296, "unit": -64196})
    assert response.status_code == 422
    assert {tuple(item["loc"]) for item in response.json()["detail"]} == {("query", "floor"), ("query", "unit")}
