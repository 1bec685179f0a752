"""Issue 16: every str, list and dict a command accepts is bounded, in every context's OpenAPI.

An unbounded field (CorrectPerson.changes, aliases, verdict values) let a 1.2 MB event into the store, which Kafka
then refused. This walks the request body of every route of every registered context (contracts/contexts.py)
down to each field and fails on any string without maxLength (or an enum, a bounded format or a fixed-length
pattern), any array without maxItems, any object with free keys without maxProperties and bounded key names,
and any value of unconstrained type.
"""

from __future__ import annotations

import importlib
import re

import pytest

from contracts.contexts import names

BOUNDED_FORMATS = {"date", "date-time", "time", "uuid", "binary", "email"}
#: bodies checked elsewhere, record by record, with the reason
EXEMPT = {
    # each record is parsed by the gate as an IngestRecord (unknown fields refused per agency), then by the
    # owning registry's command model; the body itself is bounded by the route's body limit
    "BatchSubmission.records[]{}": "checked by the gate and the registry's command model",
    "BatchSubmission.records[]{key}": "checked by the gate against the agency's permitted fields",
}


def bounded_pattern(pattern: str) -> bool:
    """An anchored pattern with no open-ended repetition (``^\\d{6,12}$``) bounds the length."""
    return pattern.startswith("^") and pattern.endswith("$") and not re.search(r"(?<!\\)[+*]|\{\d+,\}", pattern)


def bounded_string(schema: dict) -> bool:
    return ("maxLength" in schema or "enum" in schema or "const" in schema
            or schema.get("format") in BOUNDED_FORMATS or bounded_pattern(schema.get("pattern", "")))


def unbounded(schema: dict, components: dict, where: str, found: list[str], seen: set[str]) -> None:
    """Append to ``found`` each place under ``schema`` that has no bound."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name not in seen:
            seen.add(name)
            unbounded(components[name], components, name, found, seen)
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            unbounded(option, components, where, found, seen)
    kind = schema.get("type")
    if not kind and not any(key in schema for key in ("$ref", "anyOf", "oneOf", "allOf", "enum", "const")):
        found.append(f"{where} (any value)")
        return
    if kind == "string" and not bounded_string(schema):
        found.append(f"{where} (string without maxLength)")
    elif kind == "array":
        if "maxItems" not in schema:
            found.append(f"{where} (array without maxItems)")
        if isinstance(schema.get("items"), dict):
            unbounded(schema["items"], components, f"{where}[]", found, seen)
    elif kind == "object":
        free = schema.get("additionalProperties")
        if free not in (None, False):
            if "maxProperties" not in schema:
                found.append(f"{where} (object without maxProperties)")
            if not bounded_string(schema.get("propertyNames", {})):
                found.append(f"{where}{{key}} (keys without maxLength)")
            if free is True:
                found.append(f"{where}{{}} (any value)")
            elif isinstance(free, dict):
                unbounded(free, components, f"{where}{{}}", found, seen)
    for name, prop in schema.get("properties", {}).items():
        unbounded(prop, components, f"{where}.{name}", found, seen)


def unbounded_fields(context: str) -> list[str]:
    spec = importlib.import_module(f"services.{context}.app").build_app().openapi()
    components = spec.get("components", {}).get("schemas", {})
    found: list[str] = []
    seen: set[str] = set()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                if "schema" in media:
                    unbounded(media["schema"], components, f"{method.upper()} {path}", found, seen)
    return sorted({place for place in found if place.split(" (")[0] not in EXEMPT})


@pytest.mark.parametrize("context", names())
def test_every_command_field_of_the_context_has_a_bound(context):
    assert unbounded_fields(context) == []


def test_the_walker_finds_an_unbounded_field():
    """The walk itself: a free dict of Any and a list of plain strings are both reported."""
    components = {"Cmd": {"type": "object", "properties": {
        "changes": {"type": "object", "additionalProperties": True, "maxProperties": 12},
        "aliases": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
        "code": {"type": "string", "pattern": r"^\d{6,12}$"}}}}
    found: list[str] = []
    unbounded({"$ref": "#/components/schemas/Cmd"}, components, "POST /x", found, set())
    assert found == ["Cmd.changes{key} (keys without maxLength)", "Cmd.changes{} (any value)",
                     "Cmd.aliases[] (string without maxLength)"]
