"""The rectifier: a background task of the audit service that closes rectification tasks on their own.

A task closes when a correcting event for its field reaches the archive; the sweep looks every few seconds
(YBSS_AUDIT_RECTIFICATION_SWEEP_SECONDS), and reads of campaigns sweep first, so a reader never sees a task
open whose correction the archive already holds. Built by the composition root (services/audit/bootstrap.py)
with the application whose sweep it runs.
"""

from __future__ import annotations

import asyncio

from services.audit.application import AuditApplication
from services.kernel.base.logging import get_logger

log = get_logger(__name__)


async def rectifier(application: AuditApplication, interval: float) -> None:
    """Sweep every ``interval`` seconds for as long as the service runs."""
    while True:
        await asyncio.sleep(interval)
        try:
            closed = await application.sweep()
            if closed:
                log.info("rectification tasks closed by correcting events", closed=closed)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - keep sweeping through outages
            log.warning("rectification sweep failed", error=repr(error))
