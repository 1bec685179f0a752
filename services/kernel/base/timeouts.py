"""A bounded wait that never swallows a cancellation (有界等待).

Python 3.11's ``asyncio.wait_for`` returns the inner result when the inner awaitable finishes in the same loop
turn as the outer task is cancelled, losing the cancellation (fixed in 3.12, gh-86296). A forever-loop built
on it (the outbox relay waiting for its wake-up event while appends keep setting it) then survives ``cancel()``:
a service's shutdown, or the test session's loop teardown, waits for it for ever. ``asyncio.timeout`` delivers
the cancellation to the awaited coroutine itself, so it cannot be lost; use ``within`` instead of ``wait_for``.
"""

from __future__ import annotations

import asyncio
from typing import Awaitable, TypeVar

T = TypeVar("T")


async def within(seconds: float, awaitable: Awaitable[T]) -> T:
    """``await awaitable``, raising TimeoutError after ``seconds`` (cancelled from outside: CancelledError)."""
    async with asyncio.timeout(seconds):
        return await awaitable


async def cancel_and_wait(task: asyncio.Task | None) -> None:
    """Cancel a background task and wait until it has ended (a stop: its CancelledError is the expected end)."""
    if task is None:
        return
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
