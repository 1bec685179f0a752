"""The person service's OpenAPI document: Chinese summaries, body examples, one valid registration per category."""

from __future__ import annotations

import json
import re

from services.person.app import build_app
from services.person.commands import RegisterPerson

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_person_route_has_a_chinese_summary_and_a_body_with_examples():
    spec = build_app().openapi()
    missing = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if path in ("/healthz", "/readyz", "/metrics"):
                continue
            if not CJK.search(operation.get("summary", "")):
                missing.append(f"{method} {path}: summary")
            body = operation.get("requestBody")
            if body:
                schema = body["content"]["application/json"]["schema"]
                name = schema["$ref"].split("/")[-1]
                text = json.dumps(spec["components"]["schemas"][name], ensure_ascii=False)
                if not CJK.search(text):
                    missing.append(f"{method} {path}: body description")
    assert not missing, missing


def test_registration_examples_one_per_category_and_valid():
    spec = build_app().openapi()
    examples = spec["paths"]["/v1/persons"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    categories = set()
    for example in examples.values():
        command = RegisterPerson.model_validate(example["value"]).root
        categories.add(command.category)
    assert categories == {"registered", "lodger", "migrant", "foreigner", "unregistered"}
