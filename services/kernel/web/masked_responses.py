"""Every JSON answer of every ``/v1`` route leaves through the masking policy (services.kernel.base.masking): records,
nested lists, error messages that echo a value. The route's declared permission (services.kernel.web.authz) leaves
the caller on the request; an answer without one (refused before the caller was known) is masked as for a
caller who may see nothing. Streams (SSE) and files (xlsx) are masked where they are made."""

from __future__ import annotations

import json

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.kernel.base.masking import Viewer, mask_tree

MASKED_PREFIX = "/v1/"
NOBODY = Viewer(role="", covers=lambda _division: False)


def viewer_for(caller) -> Viewer:
    """The masking viewer of an authenticated caller (services.kernel.web.authz.Caller)."""
    return Viewer(role=caller.actor.role, covers=caller.scope.covers)


def viewer_of(scope: Scope) -> Viewer:
    caller = (scope.get("state") or {}).get("caller")
    return NOBODY if caller is None else viewer_for(caller)


class MaskingMiddleware:
    """Buffers a JSON answer, masks it for the caller, sends it with its new length; anything else passes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(MASKED_PREFIX):
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})
        start: Message | None = None
        body: list[bytes] = []

        async def masked_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                content_type = MutableHeaders(raw=list(message["headers"])).get("content-type", "")
                if content_type.startswith("application/json"):
                    start = message
                    return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            raw = b"".join(body)
            viewer = viewer_of(scope)
            if viewer.role != "admin" and raw:
                raw = json.dumps(mask_tree(json.loads(raw), viewer), ensure_ascii=False, allow_nan=False,
                                 separators=(",", ":")).encode("utf-8")
            headers = MutableHeaders(raw=list(start["headers"]))
            headers["content-length"] = str(len(raw))
            await send({**start, "headers": headers.raw})
            await send({"type": "http.response.body", "body": raw, "more_body": False})

        await self.app(scope, receive, masked_send)
