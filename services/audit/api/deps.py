"""What every audit route shares: who may read the audit, the archive, times given as ISO 8601."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from fastapi import Depends, Query

from services.audit.config import audit_settings
from services.audit.report.model import month_bounds
from services.audit.bootstrap import Archive  # noqa: F401 - the routes' archive, built by the composition root
from services.kernel.web.authz import Caller, allow
from services.kernel.base.errors import DomainRuleViolation

#: Supervisors (督导) read the audit of their jurisdiction; admins everything; other roles get 403.
AuditReader = Annotated[Caller, Depends(allow("audit.read", "supervisor"))]
#: Campaign work: supervisors open campaigns; inspectors (police, supervisors) record verdicts.
CampaignOpener = Annotated[Caller, Depends(allow("audit.campaign.open", "supervisor"))]
Inspector = Annotated[Caller, Depends(allow("audit.campaign.inspect", "police", "supervisor"))]
#: 考核 configuration: supervisors set targets and import collection baselines for their jurisdiction
Configurer = Annotated[Caller, Depends(allow("audit.configure", "supervisor"))]


AsOf = Annotated[datetime | None, Query(description="ISO 8601 time (UTC if no offset): the answer as it was then "
                                                    "(截至时间), by recorded_at", examples=["2026-10-31T23:59:59+08:00"])]


def utc(value: datetime | None) -> datetime | None:
    """A time without an offset is read as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def now() -> datetime:
    return datetime.now(timezone.utc)


class ParameterRuleViolation(DomainRuleViolation):
    """A rule broken by a query or path parameter: located where FastAPI locates those (``["query", name]``)."""

    def __init__(self, where: str, field: str, rule: str, message: str, message_zh: str | None = None) -> None:
        super().__init__(field, rule, message, message_zh)
        self.where = where

    def as_detail(self) -> dict:
        return {**super().as_detail(), "loc": [self.where, self.field]}


def require_started(month: str, moment: datetime, where: str, rule: str) -> None:
    """A month asked for (a report's, an assessment's) must have started: 422 naming it (``where``: path, query)."""
    _, previous_end = month_bounds(month, audit_settings().utc_offset_hours)
    if previous_end >= moment:
        raise ParameterRuleViolation(where, "month", rule, f"{month} has not started yet", f"{month} 尚未开始")
