"""Export the published language as JSON Schema files, for agencies that do not run Python."""

from __future__ import annotations

import importlib
import importlib.util
import json
from pathlib import Path

from contracts.contexts import CONTEXTS
from contracts.envelope import EventEnvelope
from contracts.events import registered_event_types


def load_contracts() -> None:
    """Import every context's contracts module (``contracts.<context>``) and the shared access log: importing
    registers their events."""
    importlib.import_module("contracts.access")
    for context in CONTEXTS:
        module = f"contracts.{context.name}"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)


def schemas() -> dict[str, dict]:
    load_contracts()
    result = {"EventEnvelope": EventEnvelope.model_json_schema()}
    for name, event_type in sorted(registered_event_types().items()):
        if not event_type.__module__.startswith("contracts."):
            continue  # events defined outside the published language (tests, experiments) are not exported
        schema = event_type.model_json_schema()
        schema["x-schema-version"] = event_type.schema_version
        result[name] = schema
    for context in CONTEXTS:  # messages that are not events (the agency ingestion record and reply)
        module = importlib.import_module(f"contracts.{context.name}") if importlib.util.find_spec(
            f"contracts.{context.name}") else None
        for name, model in getattr(module, "PUBLISHED_MESSAGES", {}).items():
            result[name] = model.model_json_schema()
    return result


def export(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schemas().items():
        path = directory / f"{name}.json"
        path.write_text(json.dumps(schema, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written
