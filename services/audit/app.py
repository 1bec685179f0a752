"""Wiring of the audit service (审计与督导): the archive of every context's events and what is computed from it."""

from services.audit.api import access as api_access
from services.audit.api import assessment as api_assessment
from services.audit.api import campaigns as api_campaigns
from services.audit.api import history as api_history
from services.audit.api import quality as api_quality
from services.audit.api import reports as api_reports
from services.audit.archive import archive
from services.audit.bootstrap import BACKGROUND
from services.audit.projections.figures import figures
from services.kernel.web.app import ServiceSpec, create_app

SPEC = ServiceSpec(
    context="audit", title="ybss audit service 审计与督导", port=8005,
    description="Change history with field-level diffs, time travel, inspection campaigns, quality metrics, "
                "the monthly report and the access log, all computed from the archive of every context's events.",
    routers=[api_history.router, api_campaigns.router, api_quality.router, api_reports.router,
             api_access.router, api_assessment.router],
    projections=[archive, figures],
    background=BACKGROUND,  # the rectifier, the access log's retention, the figures' compactor
)


def build_app():
    return create_app(SPEC)
