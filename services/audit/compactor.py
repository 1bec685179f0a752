"""The figures' compactor: a background task of the audit service folding pending changes into the counters.

Partitions write each event's changes as a document of its own (services/audit/projections/figures.py), so
concurrent transactions never increment the same province or county counter; this task is the counters' only
writer. Readers add what is still pending, so its pace changes how much a read sums, never what it answers.
Built by the composition root (services/audit/bootstrap.py) with the two collections it folds.
"""

from __future__ import annotations

import asyncio
from typing import Callable

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import PyMongoError

from services.audit.projections.figures import compact
from services.kernel.base.logging import get_logger

log = get_logger(__name__)
IDLE_SECONDS = 0.5  #: pause when nothing is pending


async def figures_compactor(counters: Callable[[], AsyncCollection], pending: Callable[[], AsyncCollection]) -> None:
    """Compact for as long as the service runs; ``counters`` and ``pending`` give the live generation's
    collections, asked again each round (a rebuild swaps them)."""
    while True:
        try:
            folded = await compact(counters(), pending())
        except asyncio.CancelledError:
            raise
        except (PyMongoError, KeyError) as error:  # a conflict with another replica's compactor, an outage
            log.info("figures compaction postponed", error=repr(error))
            folded = 0
        if not folded:
            await asyncio.sleep(IDLE_SECONDS)
