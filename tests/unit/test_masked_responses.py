"""The masking middleware (services.kernel.web.masked_responses) on a bare app, no stack: a /v1 JSON answer is masked
for the caller the route's permission left on the request (as a nobody when none did), with its length
rewritten; other paths and other content types pass untouched."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response

from services.kernel.web.authz import Scope
from services.kernel.web.masked_responses import MaskingMiddleware

ID, PHONE = "53250319900101123X", "+8613800138000"
RECORD = {"house_id": "H-1", "division_code": "532503001",
          "owner": {"name": "李四", "document_number": ID, "phone": PHONE}, "note": f"owner phone {PHONE[3:]}"}


def as_caller(request: Request) -> None:
    """What services.kernel.web.authz.allow leaves on the request, for the role in the X-Role header."""
    role = request.headers.get("X-Role")
    if role:
        request.state.caller = SimpleNamespace(actor=SimpleNamespace(role=role), scope=Scope("532503"))


def app() -> FastAPI:
    built = FastAPI()
    built.add_middleware(MaskingMiddleware)

    @built.get("/v1/house", dependencies=[Depends(as_caller)])
    async def house() -> dict:
        return RECORD

    @built.get("/v1/file")
    async def file() -> Response:
        return Response(ID.encode(), media_type="application/octet-stream")

    @built.get("/healthz")
    async def healthz() -> dict:
        return RECORD

    return built


async def get(path: str, role: str | None = None) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app()), base_url="http://test") as client:
        return await client.get(path, headers={"X-Role": role} if role else {})


async def test_a_collector_gets_the_answer_masked_with_its_new_length():
    response = await get("/v1/house", "collector")
    body = response.json()
    assert body["owner"] == {"name": "李四", "document_number": "5325**********123X", "phone": "+86138****8000"}
    assert PHONE[3:] not in body["note"]
    assert int(response.headers["content-length"]) == len(response.content)


async def test_police_and_admin_get_it_whole_and_an_unknown_caller_gets_nothing_personal():
    assert (await get("/v1/house", "police")).json() == RECORD
    assert (await get("/v1/house", "admin")).json() == RECORD
    nobody = (await get("/v1/house")).json()
    assert nobody["owner"]["name"] == "李*" and ID not in str(nobody)


async def test_other_paths_and_content_types_pass_untouched():
    assert (await get("/healthz")).json() == RECORD
    assert (await get("/v1/file", "agency")).content == ID.encode()
