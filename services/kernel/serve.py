"""Run one service under uvicorn: ``python -m services.<context>`` calls this."""

from __future__ import annotations

import os

import uvicorn

from services.kernel.app import ServiceSpec, create_app


def serve(spec: ServiceSpec) -> None:
    port = int(os.environ.get("YBSS_PORT", spec.port))
    host = os.environ.get("YBSS_HOST", "127.0.0.1")
    uvicorn.run(create_app(spec), host=host, port=port, log_config=None, access_log=False)
