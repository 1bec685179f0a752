"""Wiring of the audit service (审计与督导). Its registry arrives with a later issue; it already runs and answers health."""

from services.kernel.app import ServiceSpec, create_app

SPEC = ServiceSpec(context="audit", title="ybss audit service 审计与督导", port=8005, description="change history, inspections and quality measures")


def build_app():
    return create_app(SPEC)
