"""Read-side access to the address registry's collections, with read-your-writes on its projection."""

from __future__ import annotations

from services.address.projections import registry
from services.kernel.web import reads
from services.kernel.web.reads import MinVersion, public  # noqa: F401 - the address views' vocabulary
from services.kernel.messaging.runtime import Runtime


def collection(rt: Runtime, logical: str):
    return rt.read_model(registry.name, logical)


async def caught_up(rt: Runtime, stream_id: str, min_version: int, caller) -> None:
    """Wait until the address registry has applied ``min_version`` of ``stream_id`` (read your own write), once
    the caller's jurisdiction covers the record (services.kernel.web.reads.caught_up)."""
    await reads.caught_up(rt, registry.name, stream_id, min_version, caller=caller)
