"""Waiting for the audit's figures projection (a consumer of its own, beside the archive) to hold events."""

from __future__ import annotations

import asyncio
import time

from services.audit.projections.figures import NAME


async def figures_caught_up(client, versions: dict[str, int], timeout: float = 120.0, projection: str = NAME) -> None:
    """Until the figures projection (or ``projection``) has applied ``version`` of every stream (its checkpoints)."""
    runtime = client.fastapi.state.runtime
    deadline = time.monotonic() + timeout
    waiting = dict(versions)
    while waiting:
        runner = runtime.runners[projection]
        waiting = {stream: version for stream, version in waiting.items()
                   if await runner.applied_version(stream) < version}
        if not waiting:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{projection} never reached {len(waiting)} streams, e.g. {next(iter(waiting.items()))}")
        await asyncio.sleep(0.3)
