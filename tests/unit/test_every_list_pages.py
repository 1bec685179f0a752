"""Every list route pages (issue 17): a GET whose answer holds a list takes ``cursor`` and ``limit`` and answers
``{total, items, next_cursor}``, and ``format=csv|xlsx`` on the same route exports the whole list; read from each context's own OpenAPI document, so a new list cannot skip it.

The few answers that hold a list and are not pages say why below: each is one record's whole story or a short,
bounded table, never a list someone works through.
"""

from __future__ import annotations

import importlib
import importlib.util

import pytest

from contracts.contexts import names

#: (context, path): why its list is whole
WHOLE = {
    ("audit", "/v1/audit/history"): "one record's whole timeline, by decision (docs/AUDIT.md)",
    ("audit", "/v1/audit/campaigns/{campaign_id}"): "one campaign; its rectifications page at /v1/audit/rectifications",
    ("audit", "/v1/audit/targets"): "one division's targets: a few figures and their versions",
    ("address", "/v1/quality/townships/{division_code}"): "one township's roads, a report of a few hundred rows",
}


def _lists(context: str) -> list[tuple[str, set[str], set[str]]]:
    spec = importlib.import_module(f"services.{context}.app").build_app().openapi()
    schemas = spec["components"]["schemas"]

    def resolve(schema):
        while schema and "$ref" in schema:
            schema = schemas[schema["$ref"].split("/")[-1]]
        return schema or {}

    found = []
    for path, operations in spec["paths"].items():
        operation = operations.get("get")
        if not operation:
            continue
        content = operation.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {})
        answer = resolve(content.get("schema"))
        properties = answer.get("properties") or {}
        if answer.get("type") == "array" or any(resolve(value).get("type") == "array" for value in properties.values()):
            found.append((path, {parameter["name"] for parameter in operation.get("parameters", [])}, set(properties)))
    return found


@pytest.mark.parametrize("context", [name for name in names() if importlib.util.find_spec(f"services.{name}.app")])
def test_every_list_route_pages_with_a_cursor_and_a_total(context):
    unpaged = [path for path, parameters, fields in _lists(context)
               if (context, path) not in WHOLE
               and not ({"cursor", "limit", "format"} <= parameters and {"total", "items", "next_cursor"} <= fields)]
    assert unpaged == [], f"{context}: list routes without cursor paging: {unpaged}"


def test_the_whole_lists_named_here_still_exist():
    present = {(context, path) for context in {context for context, _ in WHOLE}
               for path, _, _ in _lists(context)}
    assert set(WHOLE) <= present, set(WHOLE) - present
