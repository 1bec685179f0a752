"""The dependency rules of ARCHITECTURE.md, checked on the imports of every module (tests/unit/import_rules.py).

- domain/ and contracts/ are pure: no database, broker, network, web framework or metrics;
- a context never imports another context's code (only contracts/, the kernel and the shared packages);
- inside a context, domain ← application ← api, and views never import the application;
- the kernel imports no context and no shared package; its layers import only downwards
  (base ← eventsourcing ← messaging ← web ← operations), and every kernel module is in a layer;
- contracts import no service;
- outside the kernel, only a composition root (``bootstrap``) imports the Runtime;
- no two modules import each other, directly or round a circle (not even inside a function).
Each rule also meets a planted violation (test_architecture_rules.py), so a rule that sees nothing fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.contexts import names
from tests.unit.import_rules import (
    KERNEL_LAYERS, ROOT, SHARED, context_inward, cycles, import_graph, imported, io_in_pure_code, kernel_outward,
    kernel_upward, module_name, other_context, runtime_outside_bootstrap,
)

CONTEXTS = sorted(names())

#: known violations, each with its reason and who removes it; an entry that no longer matches fails the test
ALLOWED: dict[tuple[str, str], str] = {
}


def modules(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*.py") if "__pycache__" not in path.parts)


def imports_of(path: Path) -> tuple[str, list[str]]:
    module = module_name(path)
    return module, imported(path.read_text(encoding="utf-8"), module, path.name == "__init__.py")


def found(paths: list[Path], rule) -> dict[str, list[str]]:
    bad = {}
    for path in paths:
        module, names_ = imports_of(path)
        hits = [name for name in rule(module, names_) if (module, name) not in ALLOWED]
        if hits:
            bad[str(path.relative_to(ROOT))] = sorted(set(hits))
    return bad


def pure_modules() -> list[Path]:
    paths = modules(ROOT / "contracts")
    for context in CONTEXTS:
        paths += modules(ROOT / "services" / context / "domain")
    return paths


def test_domain_and_contracts_do_no_io():
    assert not found(pure_modules(), io_in_pure_code)


@pytest.mark.parametrize("context", CONTEXTS)
def test_a_context_imports_no_other_context(context):
    assert not found(modules(ROOT / "services" / context), lambda m, n: other_context(m, n, CONTEXTS))


def test_the_shared_packages_import_no_context():
    paths = [path for package in SHARED for path in modules(ROOT / package.replace(".", "/"))]
    assert paths, "the shared packages exist"
    assert not found(paths, lambda m, n: other_context(m, n, CONTEXTS))


@pytest.mark.parametrize("context", CONTEXTS)
def test_inside_a_context_domain_then_application_then_api_and_views_never_the_application(context):
    assert not found(modules(ROOT / "services" / context), lambda m, n: context_inward(m, n, CONTEXTS))


def test_the_kernel_imports_no_context_nor_a_shared_package():
    assert not found(modules(ROOT / "services" / "kernel"), kernel_outward)


def test_the_kernel_layers_import_only_downwards():
    assert not found(modules(ROOT / "services" / "kernel"), kernel_upward)


def test_every_kernel_module_is_in_a_layer():
    kernel = ROOT / "services" / "kernel"
    loose = [str(path.relative_to(ROOT)) for path in modules(kernel)
             if path != kernel / "__init__.py" and path.relative_to(kernel).parts[0] not in KERNEL_LAYERS]
    assert not loose, f"put these in one of the layers {KERNEL_LAYERS}: {loose}"
    assert sorted(path.name for path in kernel.iterdir() if path.is_dir() and path.name != "__pycache__") == \
        sorted(KERNEL_LAYERS)


def test_the_kernel_package_installs_the_asyncio_fix_first():
    """Every process imports the kernel before it opens a MongoDB client; its __init__ imports the base only."""
    module, names_ = imports_of(ROOT / "services" / "kernel" / "__init__.py")
    assert "services.kernel.base.asyncio_fixes" in names_
    assert all(name.startswith("services.kernel.base") for name in names_ if name.startswith("services"))


def test_only_a_composition_root_is_handed_the_runtime():
    """Background tasks, relays, domain, application, views and routes get their ports from bootstrap.py."""
    assert not found(modules(ROOT / "services"), runtime_outside_bootstrap)


def test_no_import_circle():
    paths = modules(ROOT / "services") + modules(ROOT / "contracts")
    graph = import_graph({module_name(path): (path.read_text(encoding="utf-8"), path.name == "__init__.py")
                          for path in paths})
    assert not cycles(graph)


def test_every_allowed_violation_still_exists():
    """An allow-list entry whose import is gone is removed, so the list only names what is still owed."""
    stale = []
    for module, name in ALLOWED:
        path = ROOT / (module.replace(".", "/") + ".py")
        if not path.exists():
            path = ROOT / module.replace(".", "/") / "__init__.py"
        if not path.exists() or name not in imports_of(path)[1]:
            stale.append((module, name))
    assert not stale, f"the violation is gone: delete these entries from ALLOWED in tests/unit/test_architecture.py: {stale}"
