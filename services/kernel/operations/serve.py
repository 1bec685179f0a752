"""Run one service under uvicorn: ``python -m services.<context>`` calls this."""

from __future__ import annotations

import os

import uvicorn

from services.kernel.web.app import ServiceSpec, create_app


def uvicorn_options(spec: ServiceSpec, environ: os._Environ | dict = os.environ) -> dict:
    """Where to listen, and how long a stopping server lets open requests finish: an SSE stream (重点人员预警推送)
    never finishes by itself, so without YBSS_GRACEFUL_SHUTDOWN_SECONDS it would hold the pod until SIGKILL
    (the Deployments set it below terminationGracePeriodSeconds; unset, uvicorn waits as long as it takes)."""
    graceful = environ.get("YBSS_GRACEFUL_SHUTDOWN_SECONDS")
    return {"host": environ.get("YBSS_HOST", "127.0.0.1"), "port": int(environ.get("YBSS_PORT", spec.port)),
            "timeout_graceful_shutdown": int(graceful) if graceful else None}


def serve(spec: ServiceSpec) -> None:
    uvicorn.run(create_app(spec), log_config=None, access_log=False, **uvicorn_options(spec))
