"""An unreachable dependency answers 503 with Retry-After naming it, in every service; our own validators'
Chinese message reaches the 422 as ``msg_zh``. (The real outage is tested in
tests/integration/test_address_unavailable.py by killing a database server.)"""

from __future__ import annotations

import importlib

import httpx
import pytest
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError
from fastapi import FastAPI
from pymongo.errors import AutoReconnect, NetworkTimeout, ServerSelectionTimeoutError

from contracts.contexts import CONTEXTS
from services.address.commands import RegisterPlace
from services.kernel.web.http import UNREACHABLE, install_error_handlers

FAILURES = [
    (ServerSelectionTimeoutError("127.0.0.1:27017: connection refused"), "mongodb"),
    (AutoReconnect("connection closed"), "mongodb"),
    (NetworkTimeout("timed out"), "mongodb"),
    (KafkaConnectionError("no broker"), "kafka"),
    (KafkaTimeoutError(), "kafka"),
    (NodeNotReadyError(), "kafka"),
]


def failing_app(error: Exception) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    async def boom() -> dict:
        raise error

    return app


@pytest.mark.parametrize(("error", "dependency"), FAILURES, ids=[type(e).__name__ for e, _ in FAILURES])
async def test_an_unreachable_dependency_is_a_503_naming_it(error, dependency):
    transport = httpx.ASGITransport(app=failing_app(error), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        response = await client.get("/boom")
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    body = response.json()
    assert body["dependency"] == dependency and body["type"] == "dependency.unavailable"
    assert dependency in body["detail"] and dependency in body["detail_zh"]


@pytest.mark.parametrize("context", [context.name for context in CONTEXTS])
def test_every_service_installs_the_handlers(context):
    app = importlib.import_module(f"services.{context}.app").build_app()
    assert set(UNREACHABLE) <= set(app.exception_handlers), f"{context} would answer 500 for an outage"


async def test_a_blank_name_is_a_422_naming_the_field_and_rule_in_both_languages():
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/places")
    async def register(command: RegisterPlace) -> dict:
        return command.model_dump()

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as client:
        response = await client.post("/places", json={"element_type": 41, "name": "（备注）", "parent_code": "532503001"})
    assert response.status_code == 422
    [detail] = response.json()["detail"]
    assert detail["loc"] == ["body", "name"] and detail["type"] == "name.blank"
    assert detail["msg_zh"] == "名称去掉空格、标点和括号备注后为空" and "empty" in detail["msg"]
