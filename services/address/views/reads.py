"""Read-side access to the address registry's collections, with read-your-writes on its projection."""

from __future__ import annotations

from services.address.projections import registry
from services.kernel.web.reads import MinVersion, public  # noqa: F401 - the address views' vocabulary
from services.kernel.web.reads import caught_up as projection_caught_up
from services.kernel.messaging.read_models import ReadModels


def collection(reads: ReadModels, logical: str):
    return reads.read_model(registry.name, logical)


async def caught_up(reads: ReadModels, stream_id: str, min_version: int, caller) -> None:
    """Wait until the address registry has applied ``min_version`` of ``stream_id`` (read your own write), once
    the caller's jurisdiction covers the record (services.kernel.web.reads.caught_up)."""
    await projection_caught_up(reads, registry.name, stream_id, min_version, caller=caller)
