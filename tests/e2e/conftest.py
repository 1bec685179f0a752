"""End-to-end tests run real service processes, each in a namespace of its own.

A process these tests kill leaves a dead member in its consumer group until the session times out; a
namespace per test keeps that pause away from every other test's read models.
"""

from __future__ import annotations

import uuid

import pytest

from services.kernel.operations.namespaces import drop_namespace


@pytest.fixture
async def e2e_settings(settings):
    isolated = settings.model_copy(update={"namespace": f"{settings.namespace}e{uuid.uuid4().hex[:6]}"})
    yield isolated
    await drop_namespace(isolated)
