"""Read models warmed before a service takes traffic (读模型预热).

SecantusDB (the local and test server) reads a whole collection from disk the first time anything touches it after
a start or an eviction, and only then answers even a one-document indexed find. At the default city (480,000
persons) audit-figures' ``records`` (676,279 documents, 2.0 GB) took 20.7 s and the person service's whereabouts
(0.5 GB) 3.1 s, and the first supervisor to ask paid it: quality answered in under 0.05 s 44 times out of 45
and in 19.2 s once. One cheap read of every live read-model collection at start moves that wait before the
service says it is ready (``/readyz`` answers 503 ``read_models: warming`` meanwhile); on MongoDB it costs a find
each. A rebuild's new generation is warmed again when the service switches to it (not gating: it is already
serving).
"""

from __future__ import annotations

import time
from typing import Iterable

from pymongo.asynchronous.collection import AsyncCollection

from services.kernel.base.logging import get_logger

log = get_logger(__name__)


async def warm(collections: Iterable[AsyncCollection]) -> dict[str, float]:
    """Touch each collection once; answers {collection: seconds}. A failure is logged and skipped: warming only
    saves the first reader a wait, it must never keep a service from serving."""
    took: dict[str, float] = {}
    for collection in collections:
        started = time.perf_counter()
        try:
            await collection.find_one({}, {"_id": 1})
        except Exception as error:  # noqa: BLE001 - an outage now is /readyz's to report, not this task's
            log.warning("read model not warmed", collection=collection.name, error=repr(error))
            continue
        took[collection.name] = round(time.perf_counter() - started, 3)
    if took:
        slowest = max(took, key=took.__getitem__)
        log.info("read models warmed", collections=len(took), seconds=round(sum(took.values()), 3),
                 slowest=slowest, slowest_seconds=took[slowest])
    return took
