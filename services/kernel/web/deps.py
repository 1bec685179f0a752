"""FastAPI dependencies that hand routes the running service's parts and the caller's command context."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Awaitable, Callable

from fastapi import Depends, Request

from contracts.envelope import Actor
from services.kernel.base.errors import NotCaughtUp
from services.kernel.eventsourcing.aggregate import CommandContext
from services.kernel.messaging.read_models import LiveReadModels, ReadModels
from services.kernel.messaging.runtime import Runtime
from services.kernel.web.auth import current_actor


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def read_models(request: Request) -> ReadModels:
    """The running service's read-model port: what read routes and views are handed instead of the Runtime."""
    return LiveReadModels(request.app.state.runtime)


#: what a route declares to be handed the read-model port (each context's bootstrap re-exports it)
Reads = Annotated[ReadModels, Depends(read_models)]


def command_context(request: Request, actor: Actor = Depends(current_actor)) -> CommandContext:
    return CommandContext(actor=actor, correlation_id=request.state.correlation_id,
                          causation_id=request.headers.get("X-Request-ID"))


async def wait_for_version(stream_id: str, wanted: int, read_version: Callable[[], Awaitable[int]],
                           timeout_seconds: float) -> int:
    """Read-your-writes: poll the read model until it has applied ``wanted`` or the wait runs out."""
    deadline = time.monotonic() + timeout_seconds
    delay = 0.01
    while True:
        current = await read_version()
        if current >= wanted:
            return current
        if time.monotonic() >= deadline:
            raise NotCaughtUp(stream_id, wanted, current)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.2)
