"""Rewrite the kernel's old flat module paths to its layer packages (issue 21), in any file, idempotently.

``services/kernel/`` was one folder of ~50 modules; it is now in layers (base ← eventsourcing ← messaging ←
web ← operations), and the cross-context replicas and the agency-record applier left it for packages of
their own. Every spelling of an old path is rewritten: ``services.kernel.messaging.projection`` (imports, ``-m``,
``mock.patch`` strings, entry points), ``from services.kernel import outbox, runtime`` (split per package) and
``services/kernel/messaging/projection.py`` (paths in docs and comments). A new path never matches an old one, so a
second run changes nothing.

An entry is applied only once its new module exists and its old one is gone, so a module still waiting to be
moved (another engineer's new file) keeps its path until it moves.

    .venv/bin/python scripts/kernel_imports.py            # the whole repository (tracked and new files)
    .venv/bin/python scripts/kernel_imports.py a.py b.md  # just these
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LAYERS: dict[str, tuple[str, ...]] = {
    "services.kernel.base": ("asyncio_fixes", "devkeys", "errors", "keys", "logging", "masking", "metrics",
                             "settings", "timeouts"),
    "services.kernel.eventsourcing": ("access_log", "aggregate", "application", "claims", "eventstore", "ids",
                                      "memory", "ports", "repository", "ttl"),
    "services.kernel.messaging": ("consumers", "deadletters", "generations", "lease", "outbox", "parking",
                                  "projection", "runtime", "topics", "writebuffer",
                                  "read_models", "memory_reads"),
    "services.kernel.web": ("access_trace", "app", "auth", "authz", "body_limit", "deps", "exports", "http",
                            "masked_responses", "paging", "readiness", "reads"),
    "services.kernel.operations": ("cli", "launcher", "namespaces", "parking_cli", "progress", "rebuild", "serve"),
}

#: old module (under services.kernel) → new dotted path
MOVES: dict[str, str] = {name: f"{package}.{name}" for package, names in LAYERS.items() for name in names}
MOVES |= {
    "replicas": "services.replicas",
    "coverage": "services.replicas.coverage",
    "ingest": "services.agency.ingest",
    "ingest_batch": "services.agency.ingest_batch",
}

DEFAULT_GLOBS = ("*.py", "*.md", "Makefile", "pyproject.toml", "deploy/**", ".ci/*", "scripts/*")


def _module_file(dotted: str) -> Path:
    path = ROOT / dotted.replace(".", "/")
    return path if path.is_dir() else path.with_suffix(".py")


def active_moves() -> dict[str, str]:
    """The moves already made on disk: the new module is there and the old one is gone."""
    return {old: new for old, new in MOVES.items()
            if _module_file(new).exists() and not _module_file(f"services.kernel.{old}").exists()}


def rewrite(text: str, moves: dict[str, str]) -> str:
    """``text`` with every old kernel path replaced by its new one; a text with none comes back unchanged."""
    if not moves:
        return text
    names = "|".join(sorted(map(re.escape, moves), key=len, reverse=True))

    def from_import(match: re.Match) -> str:
        indent, body, trailing = match.group(1), match.group(2), match.group(3)
        inner = body.strip().strip("()")
        items = [item.strip() for item in inner.replace("\n", " ").split(",") if item.strip()]
        groups: dict[str, list[str]] = {}
        for item in items:
            name = item.split(" as ")[0].strip()
            new = moves.get(name)
            package, _, leaf = new.rpartition(".") if new else ("services.kernel", "", name)
            groups.setdefault(package, []).append(item if leaf == name else f"{leaf} as {name}")
        lines = [f"{indent}from {package} import {', '.join(group)}" for package, group in groups.items()]
        return "\n".join(lines) + trailing

    text = re.sub(r"(?m)^([ \t]*)from services\.kernel import (\([^)]*\)|[^\n#]*?)([ \t]*)(?=#|$)", from_import, text)
    text = re.sub(rf"services\.kernel\.({names})(?![\w])", lambda m: moves[m.group(1)], text)
    text = re.sub(rf"services/kernel/({names})(?![\w])", lambda m: moves[m.group(1)].replace(".", "/"), text)
    return text


def default_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *DEFAULT_GLOBS],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout.split("\n")
    return [ROOT / name for name in listed if name and (ROOT / name).is_file()]


def main(argv: list[str]) -> int:
    moves = active_moves()
    files = [Path(arg).resolve() for arg in argv] if argv else default_files()
    changed = 0
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        new = rewrite(text, moves)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed += 1
            print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    print(f"{changed} file(s) rewritten", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
