"""HTTP plumbing shared by every service: correlation ids, metrics, and one error format."""

from __future__ import annotations

import time
import uuid

import structlog
from aiokafka.errors import (
    KafkaConnectionError, KafkaTimeoutError, NoBrokersAvailable, NodeNotReadyError, RequestTimedOutError,
)
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pymongo.errors import ConnectionFailure

from services.kernel.base.errors import (
    ConcurrencyConflict, DomainRuleViolation, Forbidden, NotCaughtUp, NotFound, StateConflict,
)
from services.kernel.base.logging import get_logger
from services.kernel.base.metrics import HTTP_LATENCY, HTTP_REQUESTS
from services.kernel.web.access_trace import trace_refusal

CORRELATION_HEADER = "X-Correlation-ID"
log = get_logger(__name__)
#: Seconds a client should wait before retrying while a dependency is down (a restart or an election).
DEPENDENCY_RETRY_AFTER_SECONDS = 5
#: Failures that mean "the dependency cannot be reached", not "the request is wrong" nor "a bug".
#: PyMongo's ConnectionFailure covers AutoReconnect, NetworkTimeout, ServerSelectionTimeoutError and
#: WaitQueueTimeoutError.
UNREACHABLE: dict[type[Exception], str] = {
    ConnectionFailure: "mongodb",
    KafkaConnectionError: "kafka",
    KafkaTimeoutError: "kafka",
    NoBrokersAvailable: "kafka",
    NodeNotReadyError: "kafka",
    RequestTimedOutError: "kafka",
}


def install_middleware(app: FastAPI, service: str) -> None:
    @app.middleware("http")
    async def correlate_and_measure(request: Request, call_next):
        correlation_id = request.headers.get(CORRELATION_HEADER) or str(uuid.uuid4())
        request.state.correlation_id = correlation_id
        structlog.contextvars.bind_contextvars(correlation_id=correlation_id)
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            response.headers[CORRELATION_HEADER] = correlation_id
            return response
        finally:
            route = request.scope.get("route")
            path = getattr(route, "path", "unmatched")
            HTTP_REQUESTS.labels(service, request.method, path, str(status)).inc()
            HTTP_LATENCY.labels(service, request.method, path).observe(time.perf_counter() - started)
            if path not in ("/metrics", "/healthz", "/readyz"):
                log.info("request", method=request.method, path=request.url.path, status=status,
                         ms=round((time.perf_counter() - started) * 1000, 1))
            structlog.contextvars.unbind_contextvars("correlation_id")


def install_error_handlers(app: FastAPI) -> None:
    """Every refusal names what was wrong; nothing surfaces as a bare 500."""

    @app.exception_handler(DomainRuleViolation)
    async def rule_violation(_: Request, error: DomainRuleViolation) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": [error.as_detail()]})

    @app.exception_handler(NotFound)
    async def not_found(request: Request, error: NotFound) -> JSONResponse:
        if not error.traced:
            await trace_refusal(request, "not_found", error.kind.replace(" ", "_"), error.identifier)
        return JSONResponse(status_code=404, content={"detail": str(error), "kind": error.kind, "id": error.identifier})

    @app.exception_handler(ConcurrencyConflict)
    async def conflict(_: Request, error: ConcurrencyConflict) -> JSONResponse:
        return JSONResponse(
            status_code=409,
            content={"detail": str(error), "stream_id": error.stream_id,
                     "expected_version": error.expected_version, "current_version": error.current_version},
        )

    @app.exception_handler(StateConflict)
    async def state_conflict(_: Request, error: StateConflict) -> JSONResponse:
        return JSONResponse(status_code=409, content={"detail": error.message, "detail_zh": error.message_zh,
                                                      "type": error.rule})

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, error: Forbidden) -> JSONResponse:
        await trace_refusal(request, "refused", division_code=error.record_division)
        content = {"detail": error.message, "detail_zh": error.message_zh}
        if error.record_division is not None or error.caller_scope is not None:
            content.update(record_division=error.record_division, caller_scope=error.caller_scope)
        return JSONResponse(status_code=403, content=content)

    @app.exception_handler(NotCaughtUp)
    async def not_caught_up(_: Request, error: NotCaughtUp) -> JSONResponse:
        return JSONResponse(status_code=503, headers={"Retry-After": "1"},
                            content={"detail": str(error), "current_version": error.current})

    async def dependency_unavailable(request: Request, error: Exception) -> JSONResponse:
        """Not a bug and not bad input: a dependency is down; say which, and when to try again."""
        dependency = next(name for kind, name in UNREACHABLE.items() if isinstance(error, kind))
        log.warning("dependency unavailable", dependency=dependency, path=request.url.path, error=repr(error))
        return JSONResponse(
            status_code=503, headers={"Retry-After": str(DEPENDENCY_RETRY_AFTER_SECONDS)},
            content={"detail": f"{dependency} is unavailable; retry later", "detail_zh": f"{dependency} 暂不可用，请稍后重试",
                     "type": "dependency.unavailable", "dependency": dependency},
        )

    for kind in UNREACHABLE:
        app.add_exception_handler(kind, dependency_unavailable)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        """A bug, not bad input: logged with its stack, answered with the id to quote when reporting it."""
        correlation = getattr(request.state, "correlation_id", None)
        log.exception("unhandled error", path=request.url.path, error=repr(error))
        return JSONResponse(status_code=500, headers={CORRELATION_HEADER: correlation or ""},
                            content={"detail": "internal error; quote the correlation id when reporting it",
                                     "correlation_id": correlation})

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        details = []
        for item in error.errors():
            detail = {key: item[key] for key in ("loc", "msg", "type", "input") if key in item}
            if "ctx" in item:
                detail["ctx"] = {key: str(value) for key, value in item["ctx"].items()}
                if "msg_zh" in detail["ctx"]:  # our own validators carry the Chinese message in the context
                    detail["msg_zh"] = detail["ctx"].pop("msg_zh")
            details.append(detail)
        return JSONResponse(status_code=422, content={"detail": jsonable_encoder(details)})


def correlation_id(request: Request) -> str:
    return request.state.correlation_id
