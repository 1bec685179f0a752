"""Wiring of the person service (实有人口). Its registry arrives with a later issue; it already runs and answers health."""

from services.kernel.app import ServiceSpec, create_app

SPEC = ServiceSpec(context="person", title="ybss person service 实有人口", port=8002, description="actual population")


def build_app():
    return create_app(SPEC)
