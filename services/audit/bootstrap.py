"""Composition root of the audit context (审计与督导): the one place that builds the audit application with its
ports (event store, claims, the archive it sweeps) and the read models the routes read, for the API (FastAPI
dependencies), the background tasks, the CLI and the tests.

``application`` builds over any store, claims and archive collection (in-memory fakes in unit tests);
``for_runtime`` over a running service's. Routes are handed what they declare (``App``, ``Archive``,
``LiveFigures``, ``Reports``, ``AccessStore``), and the background tasks (``BACKGROUND``) the collections and the
application they work on, never the Runtime.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import Depends
from pymongo.asynchronous.collection import AsyncCollection

from services.audit import compactor, rectifier, retention
from services.audit.application import AuditApplication
from services.audit.archive import ACCESS, NAME
from services.audit.config import audit_settings
from services.audit.projections.figures import COUNTERS, PENDING
from services.audit.projections.figures import NAME as FIGURES
from services.audit.report import frozen
from services.audit.views.archive import ArchivedStreams, events
from services.audit.views.quality import Figures
from services.kernel.eventsourcing.ports import ClaimsPort, EventStorePort
from services.kernel.messaging.runtime import Runtime
from services.kernel.messaging.read_models import LiveReadModels, ReadModels
from services.kernel.web.deps import Reads, runtime  # noqa: F401 - Reads: the routes' read-model port


def application(store: EventStorePort, claims: ClaimsPort, archive: AsyncCollection) -> AuditApplication:
    """The audit application over these ports; the sweep reads ``archive`` (the archived events)."""
    return AuditApplication(store, claims, ArchivedStreams(archive))


def for_runtime(rt: Runtime) -> AuditApplication:
    """The application of a running service (the routes, the rectifier, tools)."""
    return application(rt.store, rt.claims, events(LiveReadModels(rt)))


def _application(rt: Annotated[Runtime, Depends(runtime)]) -> AuditApplication:
    return for_runtime(rt)


def _archive(reads: Reads) -> AsyncCollection:
    return events(reads)


def _figures(reads: Reads) -> Figures:
    return Figures.of(reads)


def _access_store(reads: Reads) -> AsyncCollection:
    """The access log (访问日志) as archived from every context's access topic."""
    return reads.read_model(NAME, ACCESS)


def _reports(rt: Annotated[Runtime, Depends(runtime)]) -> AsyncCollection:
    return rt.db[frozen.COLLECTION]


#: the audit application (campaigns, inspections, the rectifier's sweep, baselines)
App = Annotated[AuditApplication, Depends(_application)]
#: the archive of every context's events (live generation)
Archive = Annotated[AsyncCollection, Depends(_archive)]
#: the quality counters kept as events arrive
LiveFigures = Annotated[Figures, Depends(_figures)]
#: the access log's archive
AccessStore = Annotated[AsyncCollection, Depends(_access_store)]
#: published monthly reports (已发布的通报)
Reports = Annotated[AsyncCollection, Depends(_reports)]


async def rectify(rt: Runtime) -> None:
    """The rectifier over the running service's application, at the configured pace."""
    await rectifier.rectifier(for_runtime(rt), audit_settings().rectification_sweep_seconds)


async def keep_access_retention(rt: Runtime) -> None:
    """The access store's retention over its live generation and the archive's live checkpoints."""
    await retention.access_retention(partial(rt.read_model, NAME, ACCESS), lambda: rt.runners[NAME].checkpoints)


async def compact_figures(rt: Runtime) -> None:
    """The figures' compactor over the live generation's counters and pending changes."""
    await compactor.figures_compactor(partial(rt.read_model, FIGURES, COUNTERS),
                                      partial(rt.read_model, FIGURES, PENDING))


#: the service's background tasks (ServiceSpec.background), each built here with its ports
BACKGROUND = [rectify, keep_access_retention, compact_figures]
