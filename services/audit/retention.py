"""Keeps the access store's retention what the setting says (YBSS_AUDIT_ACCESS_LOG_RETENTION_DAYS), and the
archive's checkpoints from growing by one per access entry.

A TTL index is created with the value of its day; a changed setting would otherwise be ignored (creating the
same index with other options is refused), so this background task sets it with ``collMod`` at start and after
every rebuild swap, and MongoDB's TTL monitor does the deleting. Every access entry is a stream of one event,
so the projection runner leaves a checkpoint per entry (24 million a year at the default city); the task drops
those older than an hour (their ids are time-ordered; the archive stores an entry once per event id, so a late
redelivery is still harmless). Built by the composition root (services/audit/bootstrap.py).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Callable

from pymongo.asynchronous.collection import AsyncCollection

from services.audit.archive import RETENTION_INDEX, retention_seconds
from services.kernel.base.logging import get_logger
from services.kernel.eventsourcing.access_log import streams_before
from services.kernel.eventsourcing.ttl import ensure_ttl

log = get_logger(__name__)
CHECK_SECONDS = 300.0


async def ensure_retention(access: AsyncCollection) -> int:
    """Make the access store's TTL index expire entries after the configured retention; returns it."""
    return await ensure_ttl(access, "recorded_at", RETENTION_INDEX, retention_seconds())


async def forget_access_checkpoints(checkpoints: AsyncCollection, older_than: timedelta = timedelta(hours=1)) -> int:
    """Drop the archive's checkpoints of access entries recorded before ``older_than`` ago; returns how many."""
    moment = datetime.now(timezone.utc) - older_than
    return (await checkpoints.delete_many({"_id": streams_before(moment)})).deleted_count


async def access_retention(access: Callable[[], AsyncCollection], checkpoints: Callable[[], AsyncCollection]) -> None:
    """Check now, then every few minutes; ``access`` and ``checkpoints`` give the live generation's access store
    and the archive's checkpoints, asked again each time (a rebuild brings new ones)."""
    while True:
        try:
            await ensure_retention(access())
            if forgotten := await forget_access_checkpoints(checkpoints()):
                log.info("checkpoints of archived access entries dropped", count=forgotten)
        except Exception as error:  # noqa: BLE001 - an outage must not end the task: try again later
            log.warning("access-log retention not set; will retry", error=repr(error))
        await asyncio.sleep(CHECK_SECONDS)
