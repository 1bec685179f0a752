"""The one registry of contexts is the one every tool reads, and every service matches it."""

from __future__ import annotations

import importlib

import pytest

from contracts.contexts import CONTEXTS, context
from services.kernel.operations import launcher
from services.kernel.base.settings import Settings
from services.kernel.messaging.topics import project_topics


@pytest.mark.parametrize("spec", CONTEXTS, ids=lambda spec: spec.name)
def test_each_service_registers_the_projections_the_registry_names(spec):
    service = importlib.import_module(f"{spec.module}.app").SPEC
    assert service.context == spec.name and service.port == spec.port
    assert sorted(p.name for p in service.projections) == sorted(spec.projections)
    for projection in service.projections:
        readable = {spec.name, *spec.consumes, *(["access"] if spec.reads_access_log else [])}
        assert set(projection.sources) <= readable, \
            f"{projection.name} reads {projection.sources}; declare them in consumes"


def test_launcher_and_topics_follow_the_registry():
    assert launcher.SERVICES == {spec.name: spec.port for spec in CONTEXTS}
    topics = project_topics(Settings(namespace="ybss"))
    for spec in CONTEXTS:
        assert f"ybss.{spec.name}.events" in topics
        for projection in spec.projections:
            assert f"ybss.dlt.{projection}" in topics
    assert "ybss.access.events" in topics
    assert len(set(spec.port for spec in CONTEXTS)) == len(CONTEXTS)


def test_an_unknown_context_is_named():
    with pytest.raises(KeyError) as unknown:
        context("weather")
    assert "weather" in str(unknown.value) and "address" in str(unknown.value)
