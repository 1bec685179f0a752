"""Each architecture rule meets a planted violation and catches it, so a rule that sees nothing cannot pass
unnoticed: tiny module sources in memory, read by the same functions the architecture test runs."""

from __future__ import annotations

import pytest

from tests.unit.import_rules import (
    context_inward, cycles, import_graph, imported, io_in_pure_code, kernel_outward, kernel_upward, other_context,
    runtime_outside_bootstrap,
)

CONTEXTS = ["address", "house", "person", "unit"]


def names(source: str, module: str, is_package: bool = False) -> list[str]:
    return imported(source, module, is_package)


# ------------------------------------------------------------------ every spelling of an import is seen


@pytest.mark.parametrize("source", [
    "import services.person.application",
    "from services.person import application",
    "from services import person",
    "from ...person import application",
    "import importlib\nimportlib.import_module('services.person.application')",
    "from importlib import import_module\nimport_module('services.person.application')",
    "__import__('services.person.application')",
    "def later():\n    from services.person.application import PersonService",
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from services.person import application",
])
def test_a_context_importing_another_is_caught_however_it_is_spelled(source):
    assert other_context("services.house.api.houses", names(source, "services.house.api.houses"), CONTEXTS)


def test_relative_imports_resolve_against_the_module_and_its_package():
    assert "services.house.domain.house" in names("from ..domain import house", "services.house.api.houses")
    assert "services.house.domain.house" in names("from .domain import house", "services.house", is_package=True)
    assert "services.house.views" in names("from . import views", "services.house.app")


def test_a_context_importing_itself_contracts_and_the_kernel_is_fine():
    source = ("from services.house.domain import house\nfrom contracts.house import HouseRegistered\n"
              "from services.kernel.web.deps import command_context\nfrom services.replicas.address import x")
    assert not other_context("services.house.api.houses", names(source, "services.house.api.houses"), CONTEXTS)


def test_a_shared_package_importing_any_context_is_caught():
    source = "from services.person.domain.person import Person"
    assert other_context("services.replicas.person", names(source, "services.replicas.person"), CONTEXTS)
    assert other_context("services.agency.ingest", names(source, "services.agency.ingest"), CONTEXTS)


# ------------------------------------------------------------------ pure code does no I/O


@pytest.mark.parametrize("io", ["sqlite3", "socket", "httpx", "requests", "pymongo", "aiokafka", "fastapi",
                                "prometheus_client", "urllib.request"])
@pytest.mark.parametrize("spelling", ["import {io}", "from {io} import something", "import {io} as alias"])
def test_io_in_domain_code_is_caught(io, spelling):
    module = "services.person.domain.person"
    assert io_in_pure_code(module, names(spelling.format(io=io), module))


def test_io_in_contracts_and_contracts_importing_a_service_are_caught():
    assert io_in_pure_code("contracts.person", names("import sqlite3", "contracts.person"))
    assert io_in_pure_code("contracts.person", names("from services.person import domain", "contracts.person"))


def test_domain_code_may_use_the_pure_kernel_only():
    module = "services.person.domain.person"
    fine = "from services.kernel.eventsourcing.aggregate import Aggregate\nfrom services.kernel.base.errors import NotFound"
    assert not io_in_pure_code(module, names(fine, module))
    assert io_in_pure_code(module, names("from services.kernel.messaging.runtime import Runtime", module))
    assert io_in_pure_code(module, names("from services.kernel.base import settings", module))
    assert not io_in_pure_code(module, names("from urllib.parse import quote\nimport datetime", module))


# ------------------------------------------------------------------ inside a context


@pytest.mark.parametrize("module, source", [
    ("services.person.domain.person", "from services.person.application import PersonService"),
    ("services.person.domain.person", "from services.person.config import person_settings"),
    ("services.person.domain.person", "from ..api import persons"),
    ("services.person.application", "from services.person.api.persons import router"),
    ("services.person.application", "from .views import persons"),
    ("services.person.views.persons", "from services.person.application import PersonService"),
    ("services.person.views.persons", "from ..application import PersonService"),
    ("services.person.views.persons", "from services.person import api"),
])
def test_an_inner_part_of_a_context_importing_an_outer_one_is_caught(module, source):
    assert context_inward(module, names(source, module), CONTEXTS)


@pytest.mark.parametrize("module, source", [
    ("services.person.domain.person", "from services.person.domain.residence import Residence"),
    ("services.person.application", "from services.person.domain.person import Person"),
    ("services.person.api.persons", "from services.person.application import PersonService"),
    ("services.person.api.persons", "from services.person.views.persons import person_view"),
    ("services.person.views.persons", "from services.person.domain.person import Person"),
])
def test_an_outer_part_importing_an_inner_one_is_fine(module, source):
    assert not context_inward(module, names(source, module), CONTEXTS)


# ------------------------------------------------------------------ the kernel


@pytest.mark.parametrize("source", [
    "from services.person.application import PersonService",
    "from services.replicas.address import address_replica",
    "from services.agency.ingest import IngestApplier",
    "from services import person",
])
def test_the_kernel_importing_a_context_or_a_shared_package_is_caught(source):
    assert kernel_outward("services.kernel.web.app", names(source, "services.kernel.web.app"))


@pytest.mark.parametrize("module, source", [
    ("services.kernel.base.logging", "from services.kernel.eventsourcing.aggregate import CommandContext"),
    ("services.kernel.eventsourcing.claims", "from services.kernel.messaging.runtime import Runtime"),
    ("services.kernel.messaging.runtime", "from ..web import app"),
    ("services.kernel.messaging.projection", "import importlib\nimportlib.import_module('services.kernel.web.deps')"),
    ("services.kernel.web.deps", "from services.kernel.operations.cli import main"),
])
def test_a_kernel_layer_importing_a_higher_one_is_caught(module, source):
    assert kernel_upward(module, names(source, module))


@pytest.mark.parametrize("module, source", [
    ("services.kernel.operations.cli", "from services.kernel.web.app import create_app"),
    ("services.kernel.web.app", "from services.kernel.messaging.runtime import Runtime"),
    ("services.kernel.messaging.outbox", "from services.kernel.eventsourcing.eventstore import EventStore"),
    ("services.kernel.eventsourcing.claims", "from services.kernel.base.errors import ClaimInProgress"),
])
def test_a_kernel_layer_importing_a_lower_one_or_itself_is_fine(module, source):
    assert not kernel_upward(module, names(source, module))


# ------------------------------------------------------------------ the Runtime stays in the composition root


@pytest.mark.parametrize("module", ["services.audit.compactor", "services.person.watch.alerts",
                                    "services.person.domain.person", "services.person.application",
                                    "services.person.views.persons", "services.person.api.persons",
                                    "services.agency.consumer", "services.person.app"])
@pytest.mark.parametrize("source", [
    "from services.kernel.messaging.runtime import Runtime",
    "from services.kernel.messaging.runtime import Runtime as Locator",
    "from services.kernel.messaging import runtime",
    "import services.kernel.messaging.runtime",
    "import importlib\nimportlib.import_module('services.kernel.messaging.runtime')",
    "def later():\n    from services.kernel.messaging.runtime import Runtime",
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from services.kernel.messaging.runtime import Runtime",
    "from services.kernel.web.deps import Reads, runtime",
])
def test_the_runtime_outside_a_composition_root_is_caught(module, source):
    assert runtime_outside_bootstrap(module, names(source, module))


def test_a_composition_root_and_the_kernel_take_the_runtime_and_others_a_helper_of_its_module():
    runtime = "from services.kernel.messaging.runtime import Runtime\nfrom services.kernel.web.deps import runtime"
    for module in ("services.person.bootstrap", "services.ingest.declarations.bootstrap", "services.kernel.web.app"):
        assert not runtime_outside_bootstrap(module, names(runtime, module))
    helper = "from services.kernel.messaging.runtime import kafka_producer"
    assert not runtime_outside_bootstrap("services.exchange.relay", names(helper, "services.exchange.relay"))


# ------------------------------------------------------------------ no circle


def test_a_circle_through_a_function_level_import_is_caught():
    graph = import_graph({
        "services.kernel.messaging.projection": ("def later():\n    from .deadletters import park", False),
        "services.kernel.messaging.deadletters": ("from services.kernel.messaging import projection", False),
        "services.kernel.messaging.topics": ("from services.kernel.base.settings import Settings", False),
    })
    assert cycles(graph) == [["services.kernel.messaging.deadletters", "services.kernel.messaging.projection"]]


def test_a_longer_circle_is_caught_and_a_chain_is_not():
    chain = {"a.x": ("import a.y", False), "a.y": ("import a.z", False), "a.z": ("", False)}
    assert not cycles(import_graph(chain))
    circle = {**chain, "a.z": ("import importlib\nimportlib.import_module('a.x')", False)}
    assert cycles(import_graph(circle)) == [["a.x", "a.y", "a.z"]]
