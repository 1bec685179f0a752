"""A forever-loop waiting with a timeout must end when cancelled (services.kernel.base.timeouts).

With Python 3.11's ``asyncio.wait_for`` a loop waiting on an event that keeps being set (the outbox relay's
wake-up, set by every append) survives ``cancel()`` nearly every time: the test session's loop teardown then
hung for ever on a fresh clone under load. ``within`` cannot lose the cancellation.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from services.kernel.base.timeouts import within

SERVICES = Path(__file__).resolve().parents[2] / "services"


async def relay_like(wake: asyncio.Event) -> None:
    while True:  # as the outbox relay: wait for a wake-up or the idle poll, then look again
        try:
            await within(0.001, wake.wait())
            wake.clear()
        except TimeoutError:
            pass


async def keeps_setting(wake: asyncio.Event) -> None:
    while True:
        wake.set()
        await asyncio.sleep(0)


async def test_a_loop_waiting_within_a_timeout_ends_when_cancelled_while_woken_all_the_time():
    survived = 0
    for _ in range(100):
        wake = asyncio.Event()
        setter, loop = asyncio.create_task(keeps_setting(wake)), asyncio.create_task(relay_like(wake))
        await asyncio.sleep(0.002)
        loop.cancel()
        done, _ = await asyncio.wait({loop}, timeout=1)
        survived += not done
        setter.cancel()
        loop.cancel()
        await asyncio.wait({setter, loop}, timeout=1)
    assert survived == 0, f"{survived} of 100 loops lived through cancel()"


async def test_within_times_out_and_returns_the_result():
    assert await within(1, asyncio.sleep(0, result="done")) == "done"
    try:
        await within(0.01, asyncio.sleep(5))
    except TimeoutError:
        pass
    else:
        raise AssertionError("no TimeoutError")


def test_no_service_code_uses_asyncio_wait_for():
    found = [f"{path.relative_to(SERVICES.parent)}:{number}" for path in SERVICES.rglob("*.py")
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"\basyncio\.wait_for\(|^from asyncio import .*\bwait_for\b", line)]
    assert not found, f"use services.kernel.base.timeouts.within (3.11's wait_for can lose a cancellation): {found}"
