"""The dependency rules of ARCHITECTURE.md as functions of one module's imports, so the architecture test
checks the repository with them and plants a violation per rule to see each one caught.

Every spelling of an import counts: ``import a.b``, ``from a import b`` (as ``a.b``: ``b`` may be a module,
so ``from services import person`` is an import of ``services.person``), relative imports resolved against the
importing module, imports inside functions or under ``TYPE_CHECKING``, and ``importlib.import_module("a.b")``
/ ``__import__("a.b")`` with a literal name.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: modules that do I/O or need a framework: never in domain code or contracts
IO_MODULES = ("pymongo", "motor", "bson", "aiokafka", "faststream", "prometheus_client", "fastapi", "starlette",
              "uvicorn", "httpx", "requests", "urllib3", "urllib.request", "http.client", "socket", "sqlite3",
              "mongomock")
#: the only kernel modules domain code and contracts may use: pure, no I/O
PURE_KERNEL = ("services.kernel.eventsourcing.aggregate", "services.kernel.base.errors")
#: the kernel's layers, lowest first: a layer imports only itself and the layers before it
KERNEL_LAYERS = ("base", "eventsourcing", "messaging", "web", "operations")
#: packages of their own outside the kernel's layers, which contexts use and the kernel never does
SHARED = ("services.replicas", "services.agency", "services.feeds")


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(source: str, module: str, is_package: bool = False) -> list[str]:
    """Every module name ``source`` (the text of ``module``) imports, however it is spelled."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - (node.level - 1)] if package else []
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            found.append(base)
            found += [f"{base}.{alias.name}" for alias in node.names if alias.name != "*"]
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append(first.value)
    return [name for name in found if name]


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Attribute):
        return func.attr == "import_module"
    return isinstance(func, ast.Name) and func.id in ("import_module", "__import__")


def context_of(module: str, contexts: list[str]) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "services" and parts[1] in contexts else None


# ------------------------------------------------------------------ the rules: (module, its imports) → violations


def io_in_pure_code(module: str, names: list[str]) -> list[str]:
    """contracts/ and a context's domain/ are pure: no I/O module, only the pure kernel, and contracts no service."""
    return [name for name in names
            if any(within(name, io) for io in IO_MODULES)
            or (within(name, "services.kernel") and not any(within(name, pure) for pure in PURE_KERNEL)
                and name not in ("services.kernel", *(f"services.kernel.{layer}" for layer in KERNEL_LAYERS)))
            or (within(module, "contracts") and within(name, "services"))]


def other_context(module: str, names: list[str], contexts: list[str]) -> list[str]:
    """A context imports no other context's code; the shared packages import no context at all."""
    own = context_of(module, contexts)
    shared = any(within(module, package) for package in SHARED)
    return [name for name in names if (found := context_of(name, contexts)) and (shared or found != own)]


def kernel_outward(module: str, names: list[str]) -> list[str]:
    """The kernel imports no context and none of the shared packages: it knows nobody's facts."""
    return [name for name in names if within(name, "services") and name != "services"
            and not within(name, "services.kernel")]


def kernel_layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["services", "kernel"] and parts[2] in KERNEL_LAYERS else None


def kernel_upward(module: str, names: list[str]) -> list[str]:
    """A kernel layer imports only itself and the layers below it (base ← eventsourcing ← messaging ← web ←
    operations)."""
    layer = kernel_layer_of(module)
    if layer is None:
        return []
    rank = KERNEL_LAYERS.index(layer)
    return [name for name in names if (other := kernel_layer_of(name)) and KERNEL_LAYERS.index(other) > rank]


#: inside a context: what each part must not import of its own context
CONTEXT_FORBIDDEN = {
    "domain": None,  # nothing of the context outside domain/
    "application": ("api", "views", "bootstrap", "app"),
    "views": ("application", "api", "bootstrap", "app"),
}


def context_part(module: str, contexts: list[str]) -> str | None:
    parts = module.split(".")
    return parts[2] if context_of(module, contexts) and len(parts) > 2 else None


def context_inward(module: str, names: list[str], contexts: list[str]) -> list[str]:
    """domain ← application ← api inside a context, and views (the read side) never import the application."""
    own, part = context_of(module, contexts), context_part(module, contexts)
    if part not in CONTEXT_FORBIDDEN:
        return []
    forbidden = CONTEXT_FORBIDDEN[part]
    bad = []
    for name in names:
        if context_of(name, contexts) != own or name == f"services.{own}":
            continue
        target = context_part(name, contexts)
        if (forbidden is None and target != "domain") or (forbidden is not None and target in forbidden):
            bad.append(name)
    return bad


#: the running service's Runtime (a service locator): only a context's composition root is handed it
RUNTIME = "services.kernel.messaging.runtime"
#: the names that hand over the Runtime itself: the class and the FastAPI dependency that yields it
RUNTIME_NAMES = (f"{RUNTIME}.Runtime", "services.kernel.web.deps.runtime")


def runtime_outside_bootstrap(module: str, names: list[str]) -> list[str]:
    """Outside the kernel, only a composition root (a ``bootstrap`` module) takes the Runtime; background tasks,
    relays, domain, application, views and routes are built there with the ports they need. The runtime module
    imported whole counts; a helper imported from it by name (``kafka_producer``) does not."""
    if not within(module, "services") or within(module, "services.kernel") or module.rpartition(".")[2] == "bootstrap":
        return []
    whole = RUNTIME in names and not any(name.startswith(RUNTIME + ".") for name in names)
    return [name for name in names if name in RUNTIME_NAMES or (whole and name == RUNTIME)]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or round a circle (Tarjan's strongly connected
    components of more than one module); ``graph`` maps a module to the modules it imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in graph.get(module, ()):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def import_graph(sources: dict[str, tuple[str, bool]]) -> dict[str, set[str]]:
    """module → the modules among ``sources`` (module → (text, is_package)) it imports."""
    graph = {}
    for module, (text, is_package) in sources.items():
        graph[module] = {name for name in imported(text, module, is_package) if name in sources and name != module}
    return graph
