"""Streaming output of a generated city: each phase in JSONL chunks of at most ``chunk`` records, written as
they are made (nothing held), plus the manifest naming the chunks in load order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

from services.city.kinds import PHASES


class ChunkWriter:
    def __init__(self, out: Path, chunk: int = 10_000) -> None:
        self.out, self.chunk = out, chunk
        (out / "records").mkdir(parents=True, exist_ok=True)
        self.files: dict[str, list[str]] = {phase: [] for phase in PHASES}
        self.open: dict[str, tuple[TextIO, int]] = {}
        self.counts: dict[str, int] = {}

    def write(self, phase: str, record_id: str, kind: str, body: dict[str, Any] | None = None, **refs: str) -> str:
        handle, written = self.open.get(phase, (None, self.chunk))
        if written >= self.chunk:
            if handle is not None:
                handle.close()
            name = f"records/{PHASES.index(phase):02d}-{phase}-{len(self.files[phase]):05d}.jsonl"
            self.files[phase].append(name)
            handle, written = open(self.out / name, "w", encoding="utf-8"), 0
        record = {"id": record_id, "kind": kind, **refs, "body": body or {}}
        handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
        self.open[phase] = (handle, written + 1)
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return record_id

    def close(self) -> list[str]:
        for handle, _ in self.open.values():
            handle.close()
        return [name for phase in PHASES for name in self.files[phase]]


def read_chunk(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
