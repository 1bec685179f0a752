"""Rewrite the kernel's old flat module paths to its layer packages (issue 21), in any file, idempotently.

``services/kernel/`` was one folder of ~50 modules; it is now in layers (base ← eventsourcing ← messaging ←
web ← operations), and the cross-context replicas and the agency-record applier left it for packages of
their own. Every spelling of an old path ``services.kernel.<module>`` is rewritten to its layer's
``services.kernel.<layer>.<module>``: imports, ``-m`` and entry points, ``mock.patch`` strings,
``from services.kernel import <a>, <b>`` (split per package) and ``services/kernel/<module>.py`` (paths in docs
and comments); so are the names that left a module when it was split (``ProjectionRunner`` imported from the
projection module now comes from ``projection_runner``). A new path never matches an old one, so a second run
changes nothing; a statement with nothing moved is left as written.

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

_M = "services.kernel.messaging"
#: names that left a module when it was split (issue 21, step 2: ProjectionRunner, the agency's consumer): (old module, name) → new module
SYMBOLS: dict[tuple[str, str], str] = {
    (f"{_M}.projection", "ProjectionRunner"): f"{_M}.projection_runner",
    (f"{_M}.projection", "BatchLimits"): f"{_M}.batching",
    **{(f"{_M}.projection", name): f"{_M}.failures"
       for name in ("is_infrastructure", "VersionGap", "BatchFallback", "INFRASTRUCTURE_LABELS", "RETRYABLE_CODES")},
    **{(f"{_M}.projection", name): f"{_M}.decoding" for name in ("decode", "Undecodable")},
    **{(f"{_M}.deadletters", name): f"{_M}.redrive" for name in ("list_parked", "redrive", "RedriveReport")},
    **{("services.agency.ingest", name): "services.agency.consumer"
       for name in ("ReplyPublisher", "ingest_consumer", "keep_running", "POLL_MS", "RETRY_SECONDS",
                    "RECORDS_IN_FLIGHT", "BULK_RECORDS", "MAX_CRASHES")},
}

#: files that spell old paths on purpose (this script and its test)
EXCLUDED = ("scripts/kernel_imports.py", "tests/unit/test_kernel_imports.py")
DEFAULT_GLOBS = ("*.py", "*.md", "Makefile", "pyproject.toml", "deploy/**", ".ci/*", "scripts/*")


def _module_file(dotted: str) -> Path:
    path = ROOT / dotted.replace(".", "/")
    return path if path.is_dir() else path.with_suffix(".py")


def active_moves() -> dict[str, str]:
    """The moves already made on disk: the new module is there and the old one is gone."""
    return {old: new for old, new in MOVES.items()
            if _module_file(new).exists() and not _module_file(f"services.kernel.{old}").exists()}


def _defines(dotted: str, name: str) -> bool:
    path = _module_file(dotted)
    return path.is_file() and re.search(rf"(?m)^(class|def|async def) {name}\b|^{name}\b *[:=]",
                                        path.read_text(encoding="utf-8")) is not None


def active_symbols() -> dict[tuple[str, str], str]:
    """The symbol moves already made: the new module defines the name and the old one no longer does."""
    return {(old, name): new for (old, name), new in SYMBOLS.items()
            if _defines(new, name) and not _defines(old, name)}


def _split_from(module: str, resolve, text: str) -> str:
    """``from <module> import a, b as c`` split into one statement per module each name now lives in."""

    def one(match: re.Match) -> str:
        indent, body, trailing = match.group(1), match.group(2), match.group(3)
        items = [item.strip() for item in body.strip().strip("()").replace("\n", " ").split(",") if item.strip()]
        groups: dict[str, list[str]] = {}
        for item in items:
            name = item.split(" as ")[0].strip()
            package, leaf = resolve(name)
            groups.setdefault(package, []).append(item if leaf == name else f"{leaf} as {name}")
        if list(groups) == [module] and all(item.split(" as ")[0].strip() == resolve(item.split(" as ")[0].strip())[1]
                                            for item in items):
            return match.group(0)  # nothing of it moved: leave the statement as written
        lines = [f"{indent}from {package} import {', '.join(group)}" for package, group in sorted(groups.items())]
        return "\n".join(lines) + trailing

    pattern = rf"(?m)^([ \t]*)from {re.escape(module)} import (\([^)]*\)|[^\n#(]*?)([ \t]*)(?=#|$)"
    return re.sub(pattern, one, text)


def rewrite_symbols(text: str, symbols: dict[tuple[str, str], str]) -> str:
    for old in {module for module, _ in symbols}:
        if old not in text:
            continue
        text = _split_from(old, lambda name, old=old: (symbols.get((old, name), old), name), text)
        names = "|".join(re.escape(name) for module, name in symbols if module == old)
        text = re.sub(rf"{re.escape(old)}\.({names})(?!\w)", lambda m, old=old: f"{symbols[(old, m.group(1))]}.{m.group(1)}",
                      text)
    return text


def rewrite(text: str, moves: dict[str, str], symbols: dict[tuple[str, str], str] | None = None) -> str:
    """``text`` with every old kernel path replaced by its new one; a text with none comes back unchanged."""
    if not moves:
        return rewrite_symbols(text, symbols or {})
    names = "|".join(sorted(map(re.escape, moves), key=len, reverse=True))

    def resolve(name: str) -> tuple[str, str]:
        new = moves.get(name)
        if not new:
            return "services.kernel", name
        package, _, leaf = new.rpartition(".")
        return package, leaf

    text = _split_from("services.kernel", resolve, text)
    text = re.sub(rf"services\.kernel\.({names})(?![\w])", lambda m: moves[m.group(1)], text)
    text = re.sub(rf"services/kernel/({names})(?![\w])", lambda m: moves[m.group(1)].replace(".", "/"), text)
    return rewrite_symbols(text, symbols or {})


def default_files() -> list[Path]:
    """The repository's files (tracked and new, as git sees them; outside a git checkout, every matching file
    outside hidden folders)."""
    try:
        listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *DEFAULT_GLOBS],
                                cwd=ROOT, capture_output=True, text=True, check=True).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        found = {path for pattern in ("**/*.py", "**/*.md", "Makefile", "pyproject.toml", "deploy/**/*", ".ci/*",
                                      "scripts/*") for path in ROOT.glob(pattern)}
        listed = [str(path.relative_to(ROOT)) for path in found
                  if not any(part.startswith(".") for part in path.relative_to(ROOT).parts if part != ".ci")]
    return [ROOT / name for name in sorted(listed) if name and name not in EXCLUDED and (ROOT / name).is_file()]


def main(argv: list[str]) -> int:
    moves, symbols = active_moves(), active_symbols()
    files = [Path(arg).resolve() for arg in argv] if argv else default_files()
    changed = 0
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        new = rewrite(text, moves, symbols)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed += 1
            print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    print(f"{changed} file(s) rewritten", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
