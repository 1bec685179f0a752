"""PyMongo's pool lock survives a connection wait cancelled twice (services.kernel.base.asyncio_fixes).

With Python 3.11's own ``wait_for`` the sequence below leaves the pool lock held by a task that has ended: every
later checkout of that pool waits for ever and cannot be cancelled (a service's stop hung on it at the end of
loaded fresh-clone runs). With the kernel's ``wait_for`` the lock ends free.
"""

from __future__ import annotations

import asyncio
import random
import sys

import pytest
from pymongo.lock import _async_create_condition, _async_create_lock

from services.kernel.base import asyncio_fixes


async def twice_cancelled_connection_wait(wait_for) -> tuple[bool, str | None]:
    """A checkout waiting on the pool's condition is cancelled, and again while the lock is passed on."""
    lock = _async_create_lock()
    condition = _async_create_condition(lock)
    raised: list[str] = []

    async def checkout() -> None:
        async with condition:  # as pymongo's Pool._get_conn: wait for a connection to come back
            await wait_for(condition.wait(), 30)

    async def other_checkout() -> None:
        async with lock:
            await asyncio.sleep(0)

    waiting = asyncio.create_task(checkout())
    await asyncio.sleep(0.01)
    await lock.acquire()  # another operation holds the pool lock ...
    queued = asyncio.create_task(other_checkout())  # ... while one more waits for it
    await asyncio.sleep(0.01)
    waiting.cancel()  # the connection wait is cancelled (a timeout, a stop)
    await asyncio.sleep(0.01)
    lock.release()  # the holder finishes and hands the lock on; in that very turn ...
    waiting.cancel()  # ... the waiting task is cancelled again
    for task in (waiting, queued):
        try:
            await task
        except asyncio.CancelledError:
            pass
        except RuntimeError as error:
            raised.append(str(error))
    await asyncio.sleep(0.05)
    return lock.locked(), (raised[0] if raised else None)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="shows the leak of 3.11's asyncio.wait_for; from 3.12 on, "
                    "asyncio's own wait_for is the fixed one, so there is no leak to show")
async def test_with_3_11s_wait_for_the_pool_lock_is_left_held_by_nobody():
    held, error = await twice_cancelled_connection_wait(asyncio_fixes._ORIGINAL)
    assert held and error == "Lock is not acquired"


async def test_with_the_kernels_wait_for_the_pool_lock_ends_free():
    assert asyncio.wait_for is asyncio_fixes.wait_for or sys.version_info >= (3, 12)
    held, error = await twice_cancelled_connection_wait(asyncio.wait_for)
    assert not held and error is None


async def test_pool_lock_stays_sound_under_random_cancellations():
    """Checkouts waiting on the condition, holders, and a canceller cancelling any of them one to three times."""
    lock = _async_create_lock()
    condition = _async_create_condition(lock)
    from pymongo.lock import _async_cond_wait

    async def waiter() -> None:
        while True:
            async with condition:
                await _async_cond_wait(condition, random.uniform(0, 0.01))

    async def holder() -> None:
        while True:
            async with lock:
                await asyncio.sleep(random.uniform(0, 0.002))
            async with condition:
                condition.notify(random.randint(0, 3))

    tasks = [asyncio.create_task(waiter()) for _ in range(8)] + [asyncio.create_task(holder()) for _ in range(4)]
    errors: list[BaseException] = []
    for _ in range(60):
        for _ in range(15):
            await asyncio.sleep(random.uniform(0, 0.003))
            victim = random.choice(tasks)
            for _ in range(random.randint(1, 3)):
                victim.cancel()
                await asyncio.sleep(0)
        for index, task in enumerate(tasks):
            if task.done():
                if not task.cancelled() and task.exception() is not None:
                    errors.append(task.exception())
                tasks[index] = asyncio.create_task(waiter() if index < 8 else holder())
    for task in tasks:
        task.cancel()
    _, stuck = await asyncio.wait(tasks, timeout=5)
    assert not errors and not stuck and not lock.locked()


async def test_wait_for_still_times_out_returns_and_passes_a_cancellation_on():
    assert await asyncio.wait_for(asyncio.sleep(0, result="done"), 1) == "done"
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(asyncio.sleep(5), 0.01)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(asyncio.sleep(5), 0)
    task = asyncio.create_task(asyncio.wait_for(asyncio.sleep(5), 10))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
