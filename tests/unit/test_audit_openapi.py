"""The audit service's OpenAPI: a Chinese summary on every route, and body examples that are valid."""

from __future__ import annotations

import re

from services.audit.api.assessment import TargetsIn
from services.audit.api.quality import SetBaseline
from services.audit.app import build_app
from services.audit.commands import Inspect, OpenCampaign

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_audit_route_has_a_chinese_summary():
    spec = build_app().openapi()
    missing = [f"{method} {path}" for path, operations in spec["paths"].items()
               for method, operation in operations.items() if not CJK.search(operation.get("summary", ""))]
    assert not missing, missing


def test_body_examples_are_complete_and_valid():
    for model in (OpenCampaign, Inspect, SetBaseline, TargetsIn):
        (example,) = model.model_config["json_schema_extra"]["examples"]
        assert set(example) == set(model.model_fields), model
        model.model_validate(example)


def test_the_baseline_file_example_imports_and_the_targets_example_is_within_the_rules():
    """The documented CSV body reads into rows (the integration test posts it to the service)."""
    from services.audit.baseline_file import rows_of
    from services.audit.domain.targets import validated

    body = build_app().openapi()["paths"]["/v1/audit/baselines/imports"]["post"]["requestBody"]["content"]
    rows = rows_of(body["text/csv"]["example"].encode(), "532503001")
    assert [(row.metric, row.value) for row in rows] == [("persons_total", 1300), ("houses_total", 420)]
    (example,) = TargetsIn.model_config["json_schema_extra"]["examples"]
    assert validated(example["targets"])["accuracy"] == 0.96
