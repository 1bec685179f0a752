"""Wiring of the unit service (实有单位). Its registry arrives with a later issue; it already runs and answers health."""

from services.kernel.app import ServiceSpec, create_app

SPEC = ServiceSpec(context="unit", title="ybss unit service 实有单位", port=8004, description="actual units")


def build_app():
    return create_app(SPEC)
