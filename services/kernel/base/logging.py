"""structlog JSON logs; the correlation id is bound per request and per consumed event."""

from __future__ import annotations

import logging
import sys

import structlog

from services.kernel.base.masking import MASKED, Viewer, mask_tree

#: log lines are read by operators, not by the record's police: nothing personal goes out whole
LOG_READER = Viewer(role="log", fixed=MASKED)


def mask_personal_fields(_logger, _method: str, event_dict: dict) -> dict:
    """structlog processor: every personal field (contracts.personal) and every ID number or phone quoted in a
    message is masked before the line is written."""
    return mask_tree(event_dict, LOG_READER)


def configure_logging(level: str = "INFO", service: str = "ybss") -> None:
    """JSON lines on stdout with the bound context (correlation_id, stream_id, ...) merged in."""
    logging.basicConfig(format="%(message)s", stream=sys.stdout, level=level.upper(), force=True)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            mask_personal_fields,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stdout),
        cache_logger_on_first_use=False,
    )
    logging.getLogger("faststream").setLevel(logging.WARNING)
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)
