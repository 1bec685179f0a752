"""App factory: every service gets the same lifespan, health, metrics, auth and error handling."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from contracts.contexts import context as context_spec
from services.kernel.base.logging import configure_logging, get_logger
from services.kernel.base.settings import Settings, get_settings
from services.kernel.messaging.projection import Projection
from services.kernel.messaging.runtime import Runtime
from services.kernel.web.body_limit import BodyLimit
from services.kernel.web.docs_pages import install_docs_pages
from services.kernel.web.http import install_error_handlers, install_middleware
from services.kernel.web.masked_responses import MaskingMiddleware
from services.kernel.web.readiness import readiness

log = get_logger(__name__)


@dataclass
class ServiceSpec:
    """What makes one bounded context's service: its routes and read models. Its name, port and title come
    from the one registry of contexts (contracts/contexts.py); the projections must be the ones named there."""

    context: str
    title: str = ""
    port: int = 0
    description: str = ""
    routers: list[APIRouter] = field(default_factory=list)
    projections: list[Projection] = field(default_factory=list)
    #: long-running tasks of the service (e.g. the audit's rectifier), started after the runtime and
    #: cancelled before it stops; each is called with the running Runtime
    background: list[Callable[[Runtime], Awaitable[None]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        registered = context_spec(self.context)
        self.title = self.title or f"ybss {self.context} service {registered.title}"
        self.port = self.port or registered.port


class InsecureConfiguration(SystemExit):
    """The service refuses to start: outside local mode it would accept tokens anyone can mint (or has no key)."""


def create_app(spec: ServiceSpec, settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    reasons = settings.insecure_reasons(spec.context)
    if reasons:
        raise InsecureConfiguration(f"ybss {spec.context} refuses to start in environment "
                                    f"{settings.environment!r}: " + "; ".join(reasons))

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        configure_logging(settings.log_level, service=spec.context)
        runtime = Runtime(settings, spec.context, spec.projections)
        app.state.runtime = runtime
        await runtime.start()
        tasks = [asyncio.create_task(task(runtime), name=f"{spec.context}-{getattr(task, '__name__', 'task')}")
                 for task in spec.background]
        log.info("service started", context=spec.context, namespace=settings.namespace)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await runtime.stop()
            log.info("service stopped", context=spec.context)

    # docs_url/redoc_url off: FastAPI's pages load from public CDNs; install_docs_pages serves them from the package
    app = FastAPI(title=spec.title, description=spec.description, version="0.1.0", lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    install_docs_pages(app)
    app.add_middleware(BodyLimit, default_bytes=settings.request_body_max_bytes)  # 413 while the body is read
    app.add_middleware(MaskingMiddleware)
    install_middleware(app, spec.context)
    install_error_handlers(app)

    @app.get("/healthz", tags=["ops"], summary="Liveness 存活检查: the process answers")
    async def healthz() -> dict:
        return {"status": "ok", "service": spec.context}

    @app.get("/readyz", tags=["ops"], summary="Readiness 就绪检查: MongoDB is reachable (Kafka is reported)")
    async def readyz(request: Request) -> JSONResponse:
        status_code, body = readiness(await request.app.state.runtime.ready())
        return JSONResponse(status_code=status_code, content=body)

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    for router in spec.routers:
        app.include_router(router)
    return app
