"""The dependency rules of ARCHITECTURE.md, checked on the imports of every module.

- domain/ and contracts/ are pure: no database, broker, web framework or metrics;
- a context never imports another context's code (only contracts/ and the kernel);
- the kernel imports no context; contracts import no service.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from contracts.contexts import names

ROOT = Path(__file__).resolve().parents[2]
IO_MODULES = ("pymongo", "motor", "aiokafka", "faststream", "prometheus_client", "fastapi", "starlette", "httpx")
PURE_KERNEL = ("services.kernel.eventsourcing.aggregate", "services.kernel.base.errors")
CONTEXTS = sorted(names())


def imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def modules(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*.py") if "__pycache__" not in path.parts)


def pure_modules() -> list[Path]:
    found = modules(ROOT / "contracts")
    for context in CONTEXTS:
        domain = ROOT / "services" / context / "domain"
        if domain.exists():
            found += modules(domain)
    return found


@pytest.mark.parametrize("path", pure_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_and_contracts_do_no_io(path):
    bad = [name for name in imports(path)
           if name.split(".")[0] in IO_MODULES
           or (name.startswith("services.kernel") and not name.startswith(PURE_KERNEL))
           or (path.is_relative_to(ROOT / "contracts") and name.startswith("services"))]
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


@pytest.mark.parametrize("context", CONTEXTS)
def test_a_context_imports_no_other_context(context):
    others = [c for c in CONTEXTS if c != context]
    bad = {str(path.relative_to(ROOT)): name for path in modules(ROOT / "services" / context)
           for name in imports(path) if any(name == f"services.{o}" or name.startswith(f"services.{o}.") for o in others)}
    assert not bad, bad


def test_the_kernel_imports_no_context():
    bad = {str(path.relative_to(ROOT)): name for path in modules(ROOT / "services" / "kernel")
           for name in imports(path) if name.startswith("services.") and not name.startswith("services.kernel")}
    assert not bad, bad
