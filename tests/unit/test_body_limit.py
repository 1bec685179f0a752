"""The request-body limit: counted while the body is read, with or without a Content-Length, per route."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel

from services.kernel.web.body_limit import BodyLimit, body_limit
from services.kernel.web.http import install_error_handlers, install_middleware

LIMIT = 4096


class Note(BaseModel):
    text: str


def app() -> FastAPI:
    application = FastAPI()  # as services.kernel.web.app.create_app builds every service
    application.add_middleware(BodyLimit, default_bytes=LIMIT)
    install_middleware(application, "test")
    install_error_handlers(application)

    @application.post("/notes")
    async def add(note: Note) -> dict:
        return {"length": len(note.text)}

    router = APIRouter(prefix="/v1")  # every service's routes come through included routers

    @router.post("/uploads")
    @body_limit(4 * LIMIT)
    async def upload(request: Request) -> dict:
        return {"length": len(await request.body())}

    application.include_router(router)
    return application


async def post(path: str, content) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app()), base_url="http://test") as client:
        return await client.post(path, content=content, headers={"Content-Type": "application/json"})


def chunks(total: int):
    async def generate():
        for _ in range(total // 1024):
            yield b" " * 1024
    return generate()


async def test_a_body_over_the_limit_is_refused_413_naming_the_limit():
    response = await post("/notes", b'{"text": "' + b"x" * 2 * LIMIT + b'"}')
    assert response.status_code == 413
    detail = response.json()["detail"][0]
    assert detail["type"] == "body.too_large" and detail["ctx"]["limit_bytes"] == LIMIT
    assert str(LIMIT) in detail["msg"]


async def test_a_chunked_body_without_content_length_is_refused_as_it_passes_the_limit():
    response = await post("/notes", chunks(3 * LIMIT))
    assert response.status_code == 413
    assert response.json()["detail"][0]["ctx"]["limit_bytes"] == LIMIT


async def test_a_route_declaring_its_own_limit_takes_more_and_still_has_one():
    assert (await post("/v1/uploads", b"x" * 3 * LIMIT)).json() == {"length": 3 * LIMIT}
    refused = await post("/v1/uploads", chunks(5 * LIMIT))
    assert refused.status_code == 413 and refused.json()["detail"][0]["ctx"]["limit_bytes"] == 4 * LIMIT


async def test_a_body_within_the_limit_passes():
    assert (await post("/notes", b'{"text": "hello"}')).json() == {"length": 5}
