"""Request-body limits (请求体上限): a body is counted while it is read, so no request can exhaust a service.

Every service takes at most ``YBSS_REQUEST_BODY_MAX_BYTES`` (1 MB) per body; a route that needs more declares
its own with ``@body_limit(n)`` under its route decorator (the ingest batch and 采集表 upload routes). A
Content-Length over the limit is answered before anything is read; a chunked body (no Content-Length) is
counted chunk by chunk and cut off as soon as it passes the limit. Either way the answer is 413 naming the
limit. (Starlette's own ``max_body_size`` answers a plain "Content Too Large" that names nothing, and replaces
any other answer with it when a Content-Length is over; hence this middleware.)
"""

from __future__ import annotations

import json
from typing import Callable, TypeVar

from fastapi.routing import iter_route_contexts
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Endpoint = TypeVar("Endpoint", bound=Callable)
ATTRIBUTE = "__body_limit__"


def body_limit(max_bytes: int) -> Callable[[Endpoint], Endpoint]:
    """Declare a route's own body limit (put it under the route decorator)."""
    def declare(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, ATTRIBUTE, max_bytes)
        return endpoint
    return declare


def too_large(limit: int) -> bytes:
    size = f"{limit / 1048576:g} MB" if limit >= 1048576 else f"{limit / 1024:g} KB"
    return json.dumps({"detail": [{
        "loc": ["body"], "type": "body.too_large", "ctx": {"limit_bytes": limit},
        "msg": f"the request body is over this route's limit of {limit} bytes ({size})",
        "msg_zh": f"请求体超过上限 {size}（{limit} 字节）"}]}, ensure_ascii=False).encode()


class BodyLimit:
    """ASGI middleware: counts the body as the route reads it and answers 413 once it passes the limit."""

    def __init__(self, app: ASGIApp, default_bytes: int) -> None:
        self.app = app
        self.default_bytes = default_bytes
        self._declared: list[tuple[object, int]] | None = None

    def limit_for(self, scope: Scope) -> int:
        if self._declared is None:  # every route is added before the first request
            # routes of included routers too: FastAPI >= 0.165 keeps them behind one entry per include_router
            self._declared = [(route, getattr(route.endpoint, ATTRIBUTE))
                              for route in iter_route_contexts(scope["app"].router.routes)
                              if hasattr(getattr(route, "endpoint", None), ATTRIBUTE)]
        for route, limit in self._declared:
            if route.matches(scope)[0] is Match.FULL:
                return limit
        return self.default_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        length = dict(scope.get("headers", ())).get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            await self.answer(send, limit)
            return
        state = {"received": 0, "over": False}

        async def counted() -> Message:
            if state["over"]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:  # stop reading: the route sees a client gone, we answer 413
                    state["over"] = True
                    return {"type": "http.disconnect"}
            return message

        async def replaced(message: Message) -> None:
            if not state["over"]:
                await send(message)
            elif message["type"] == "http.response.start":
                state["answered"] = True
                await self.answer(send, limit)

        try:
            await self.app(scope, counted, replaced)
        except Exception:  # a route reading the body itself sees ClientDisconnect once it is cut off
            if not state["over"] or state.get("answered"):
                raise
            await self.answer(send, limit)

    @staticmethod
    async def answer(send: Send, limit: int) -> None:
        body = too_large(limit)
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
