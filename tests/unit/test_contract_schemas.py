"""The committed JSON Schemas are what agencies read: they must match the code's events exactly."""

from __future__ import annotations

import json
from pathlib import Path

from contracts.schema_export import schemas

SCHEMAS = Path(__file__).resolve().parents[2] / "contracts" / "schemas"


def test_committed_schemas_match_the_code():
    expected = schemas()
    committed = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in SCHEMAS.glob("*.json")}
    assert set(committed) == set(expected), "run `ybss schema` and commit contracts/schemas"
    for name, schema in expected.items():
        assert committed[name] == json.loads(json.dumps(schema)), f"{name} changed: run `ybss schema`"


def test_envelope_schema_names_every_envelope_field():
    properties = schemas()["EventEnvelope"]["properties"]
    for field in ("event_id", "event_type", "schema_version", "stream_id", "stream_type", "version", "occurred_at",
                  "recorded_at", "actor", "correlation_id", "causation_id", "payload"):
        assert field in properties
