"""``python -m services.audit``: the kernel's app plus the rectifier (build_app), served like every context."""

import os

import uvicorn

from services.audit.app import SPEC, build_app

uvicorn.run(build_app(), host=os.environ.get("YBSS_HOST", "127.0.0.1"), port=int(os.environ.get("YBSS_PORT", SPEC.port)),
            log_config=None, access_log=False)
