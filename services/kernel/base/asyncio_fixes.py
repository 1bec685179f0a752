"""Python 3.12's ``asyncio.wait_for`` on the 3.11 this project runs (等待修正), installed once at kernel import.

3.11's ``wait_for`` runs the awaited in a task of its own and, on a cancellation, cancels that task and waits for
it. Two faults follow (gh-86296, fixed in 3.12 by rewriting ``wait_for`` on ``asyncio.timeout``):

- the cancellation is lost when the awaited finishes in the same loop turn (the outbox relay lived through
  ``cancel()``: why services use ``services.kernel.base.timeouts.within``);
- a second cancellation while it waits for that inner task leaves the inner running on its own. PyMongo waits
  for a pool connection with ``wait_for(condition.wait(), timeout)`` (``pymongo.lock._async_cond_wait``); an inner
  ``Condition.wait`` cut loose this way takes the pool's lock back after its caller has already released it, and
  nobody releases it again. Every later checkout of that pool then waits for ever and, since ``Condition.wait``
  swallows cancellations until it holds the lock, cannot even be cancelled: a service's stop hung on its relay's
  lease call and its generation watch (the fresh-clone runs of issue 22; tests/unit/test_asyncio_fixes.py
  reproduces the leak with PyMongo's own lock and condition).

Libraries bind ``wait_for`` at their import (``from asyncio import wait_for`` in ``pymongo.lock``), so the
replacement is set on ``asyncio``, ``asyncio.tasks`` and on those modules. Nothing is changed on 3.12 or later.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any, Awaitable, TypeVar

T = TypeVar("T")

_ORIGINAL = asyncio.wait_for


async def _cancel_and_wait(future: asyncio.Future) -> None:
    waiter = asyncio.get_running_loop().create_future()

    def release(_: Any) -> None:
        if not waiter.done():
            waiter.set_result(None)

    future.add_done_callback(release)
    try:
        future.cancel()
        await waiter  # a cancellation here is ours: it propagates, as in 3.12
    finally:
        future.remove_done_callback(release)


async def wait_for(fut: Awaitable[T], timeout: float | None) -> T:
    """``asyncio.wait_for`` as CPython 3.12 defines it: the awaited runs in the caller's task, bounded by
    ``asyncio.timeout``, so a cancellation reaches it directly and cannot be lost or leave it running alone."""
    if timeout is not None and timeout <= 0:
        future = asyncio.ensure_future(fut)
        if future.done():
            return future.result()
        await _cancel_and_wait(future)
        try:
            return future.result()
        except asyncio.CancelledError as error:
            raise TimeoutError from error
    async with asyncio.timeout(timeout):
        return await fut


def install() -> bool:
    """Put 3.12's ``wait_for`` in place on 3.11 (idempotent); True when it is in place after the call."""
    if sys.version_info >= (3, 12):
        return False
    import asyncio.tasks

    import pymongo.lock

    asyncio.wait_for = asyncio.tasks.wait_for = wait_for
    pymongo.lock.wait_for = wait_for
    return True


install()
