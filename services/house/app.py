"""Wiring of the house service (实有房屋). Its registry arrives with a later issue; it already runs and answers health."""

from services.kernel.app import ServiceSpec, create_app

SPEC = ServiceSpec(context="house", title="ybss house service 实有房屋", port=8003, description="actual houses")


def build_app():
    return create_app(SPEC)
