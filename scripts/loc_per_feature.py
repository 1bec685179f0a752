"""Lines of code per feature at one or more commits (issue 21: "lines of code per feature go down, not up").

A *feature* is something a user or another context can call or receive: an HTTP operation of a context's API
(its OpenAPI document) or a domain event type (a ``DomainEvent`` subclass in contracts). *Lines of code* are
the lines of services/ and contracts/ Python that hold code: blank lines, comments and docstrings do not count,
so a docstring that says why costs nothing here. Each commit is read from a scratch worktree with this
checkout's virtualenv, so any commit since the contexts had ``build_app`` can be compared.

    python scripts/loc_per_feature.py 18ac9c1^ HEAD
"""

from __future__ import annotations

import ast
import io
import json
import subprocess
import sys
import tempfile
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTEXTS = ("address", "person", "house", "unit", "audit", "ingest")

#: run inside the worktree: counts the features it defines
_COUNT = """
import importlib, inspect, json, pkgutil, sys, os
os.environ.setdefault("YBSS_ENVIRONMENT", "local")
import contracts
from contracts.events import DomainEvent
operations = {}
for context in %r:
    try:
        app = importlib.import_module(f"services.{context}.app").build_app()
    except ModuleNotFoundError:
        continue
    operations[context] = sum(len([m for m in ops if m in ("get", "post", "put", "patch", "delete")])
                              for ops in app.openapi()["paths"].values())
events = set()
for info in pkgutil.walk_packages(contracts.__path__, "contracts."):
    module = importlib.import_module(info.name)
    for _, value in inspect.getmembers(module, inspect.isclass):
        if issubclass(value, DomainEvent) and value is not DomainEvent and value.__module__ == info.name:
            events.add(f"{value.__module__}.{value.__qualname__}")
print(json.dumps({"operations": operations, "events": len(events)}))
"""


def code_lines(source: str) -> int:
    """Lines holding code: not blank, not only a comment, not part of a docstring."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return 0
    docstrings: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                docstrings.update(range(first.lineno, first.end_lineno + 1))
    lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                          tokenize.ENDMARKER):
            continue
        lines.update(line for line in range(token.start[0], token.end[0] + 1) if line not in docstrings)
    return len(lines)


def measure(rev: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="ybss-loc-") as scratch:
        tree = Path(scratch) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), rev], check=True)
        try:
            loc = sum(code_lines(path.read_text(encoding="utf-8")) for folder in ("services", "contracts")
                      for path in (tree / folder).rglob("*.py"))
            counted = subprocess.run([sys.executable, "-c", _COUNT % (CONTEXTS,)], cwd=tree, check=True,
                                     capture_output=True, text=True, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin",
                                                                           "YBSS_LOG_LEVEL": "ERROR"})
            features = json.loads(counted.stdout.strip().splitlines()[-1])
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
    total = sum(features["operations"].values()) + features["events"]
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev], capture_output=True, text=True).stdout.strip()
    return {"rev": rev, "commit": commit, "code_lines": loc, "operations": sum(features["operations"].values()),
            "events": features["events"], "features": total, "code_lines_per_feature": round(loc / total, 1)}


def main(revs: list[str]) -> None:
    rows = [measure(rev) for rev in revs or ["HEAD"]]
    for row in rows:
        print(json.dumps(row))


if __name__ == "__main__":
    main(sys.argv[1:])
