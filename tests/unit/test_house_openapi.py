"""The house and unit APIs are documented for Chinese-speaking integrators, and each registration example is a
complete registration that the domain accepts (not just one that parses)."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from services.house.app import build_app as house_app
from services.house.commands import RegisterHouse
from services.house.domain.house import AddressFacts, House
from services.unit.app import build_app as unit_app
from services.unit.commands import RegisterUnit
from services.unit.domain.unit import Unit, UnitIdentity

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("build", [house_app, unit_app])
def test_every_route_has_a_chinese_summary_and_body_example(build):
    spec = build().openapi()
    missing = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if not CJK.search(operation.get("summary", "")):
                missing.append(f"{method} {path}: summary")
            body = operation.get("requestBody")
            if body:
                name = body["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
                schema = spec["components"]["schemas"][name]
                if not CJK.search(json.dumps(schema, ensure_ascii=False)) or not (
                        "examples" in schema or any("examples" in p for p in schema.get("properties", {}).values())):
                    missing.append(f"{method} {path}: body example")
    assert not missing, missing


def registration_example(build, path: str) -> dict:
    spec = build().openapi()
    name = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    return spec["components"]["schemas"][name]["examples"][0]


def test_the_house_registration_example_is_complete_and_valid():
    example = registration_example(house_app, "/v1/houses")
    command = RegisterHouse.model_validate(example)
    assert set(example) == set(RegisterHouse.model_fields), "every field shown"
    address = AddressFacts(code=command.address_code, kind="room", full_name="天马路18号1栋2单元1203室",
                           division_code="532503001")
    house = House.register("H1", address, **command.model_dump(exclude={"address_code"}) | {"owner": command.owner})
    assert house.pending and house.logic_errors() == []


def test_the_unit_registration_example_is_complete_and_valid():
    example = registration_example(unit_app, "/v1/units")
    command = RegisterUnit.model_validate(example)
    assert set(example) == set(RegisterUnit.model_fields), "every field shown"
    fields = command.model_dump(exclude={"address_code"}) | {
        "legal_representative": command.legal_representative, "security_person": command.security_person,
        "licences": command.licences}
    unit = Unit.register("U1", UnitIdentity(**fields, address_code=command.address_code, address_name="天马路18号",
                                            division_code="532503001"), date(2026, 11, 20))
    assert unit.state["uscc"] == example["uscc"] and unit.state["industry_code"] == "H61" and unit.warnings == []
