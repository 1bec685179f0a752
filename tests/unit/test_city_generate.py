"""The synthetic city (services/city): the same seed makes the same city, every record is one its registry
accepts in shape and rules, proportions are the real city's, and the ground truth counts what the records say."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from contracts import industry, uscc
from contracts.identity import validate_document
from services.city.generate import CATEGORIES, RATES, generate
from services.city.writer import read_chunk

AS_OF = date(2026, 11, 20)


def records(directory: Path) -> list[dict]:
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    return [record for name in manifest["files"] for record in read_chunk(directory / name)]


def digest(directory: Path) -> str:
    sha = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            sha.update(path.name.encode() + path.read_bytes())
    return sha.hexdigest()


@pytest.fixture(scope="module")
def town(tmp_path_factory) -> tuple[Path, list[dict], dict]:
    out = tmp_path_factory.mktemp("town")
    generate(out, persons=8_000, seed=7, as_of=AS_OF, chunk=2_000)
    return out, records(out), json.loads((out / "truth.json").read_text(encoding="utf-8"))


def test_the_same_seed_makes_the_same_city_and_another_seed_another(tmp_path):
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        generate(tmp_path / name, persons=600, seed=seed, as_of=AS_OF, chunk=100)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")
    assert len(list((tmp_path / "a" / "records").iterdir())) > 10  # streamed in chunks of 100


def test_every_document_number_passes_the_domain_validator(town):
    _, found, _ = town
    persons = [r["body"] for r in found if r["kind"] == "person"]
    assert persons
    for body in persons:
        identity = validate_document(body["document_type"], body["document_number"], body.get("nationality"),
                                     today=AS_OF)
        if body["document_type"] == "resident_id":
            assert identity.number[:4] == "5325" or body["category"] == "migrant"
            planted = body.get("legacy_import") and identity.sex != body["sex"]
            assert identity.sex == body["sex"] or planted, body
            assert identity.birth_date.isoformat() == body["birth_date"]


def test_every_registration_fits_its_registry_command(town):
    from services.house.commands import RegisterHouse
    from services.person.commands import RegisterPerson
    from services.unit.commands import RegisterUnit

    _, found, _ = town
    plate = "532503001500000000000000"
    models = {"person": RegisterPerson, "house": RegisterHouse, "unit": RegisterUnit}
    for record in found:
        model = models.get(record["kind"])
        if model is None:
            continue
        body = {k: (plate if isinstance(v, dict) and ("$ref" in v or "$room" in v) else v) for k, v in record["body"].items()}
        if isinstance(body.get("owner"), dict) and isinstance(body["owner"].get("person_id"), dict):
            body["owner"] = {"person_id": "P-1"}
        model.model_validate(body)
        if record["kind"] == "unit":
            assert uscc.is_valid(body["uscc"]), body["uscc"]
            industry.parse(body["industry_code"])


def test_proportions_are_the_real_citys(town):
    _, found, truth = town
    whole = truth["divisions"]["532503"]
    shares = {k: v / whole["persons_total"] for k, v in whole["persons_by_category"].items()}
    for category, share in CATEGORIES:
        assert abs(shares[category] - share) < 0.015, (category, shares)
    assert 8_000 / 3.2 * 0.98 < whole["houses_total"] < 8_000 / 3.2 * 1.02
    assert 8_000 / 19.2 * 0.98 < whole["units_total"] < 8_000 / 19.2 * 1.02
    nationalities = Counter(r["body"]["nationality"] for r in found if r["kind"] == "person"
                            and r["body"]["category"] == "foreigner")
    assert nationalities.most_common(1)[0][0] == "VNM" and nationalities["VNM"] / sum(nationalities.values()) > 0.7
    assert abs(whole["persons_duplicates_open"] / 8_000 - RATES["duplicate_person"]) < 0.002
    assert abs(whole["special_trade_inspections_overdue"] / whole["units_special_trade"]
               - RATES["overdue_inspection"]) < 0.05
    assert abs(whole["rentals_not_checked_this_month"] / whole["houses_rented"] - RATES["unchecked_rental"]) < 0.02
    townships = [code for code in truth["divisions"] if len(code) == 9]
    assert len(townships) == 13 and all(code.startswith("532503") for code in townships)


def test_the_truth_counts_what_the_records_say(town):
    _, found, truth = town
    whole = truth["divisions"]["532503"]
    assert truth["divisions"]["5325"] == whole
    by_kind = Counter(r["kind"] for r in found)
    cancelled = {r["target"] for r in found if r["kind"] == "cancel_person"}
    retired = {r["target"] for r in found if r["kind"] == "retire_doorplate"}
    persons = [r for r in found if r["kind"] == "person"]
    active = [r for r in persons if r["id"] not in cancelled]
    assert whole["persons_total"] == len(active)
    assert whole["persons_cancelled"] == len(cancelled)
    assert whole["persons_by_category"] == dict(sorted(Counter(r["body"]["category"] for r in active).items()))
    documents = Counter(r["body"]["document_number"] for r in active)
    assert whole["persons_duplicates_open"] == sum(n - 1 for n in documents.values())
    assert whole["persons_phone_collected"] == sum("phone" in r["body"] for r in active)

    def plate_of(address: dict) -> str:
        return address["$ref"] if "$ref" in address else address["$room"][0]

    homes = {r["target"]: plate_of(r["body"]["address_code"]) for r in found if r["kind"] == "residence"}
    assert whole["persons_linked"] == sum(homes.get(r["id"]) not in (None, *retired) for r in active)
    houses = [r for r in found if r["kind"] == "house"]
    assert whole["houses_total"] == len(houses)
    assert whole["houses_linked"] == sum(plate_of(r["body"]["address_code"]) not in retired for r in houses)
    assert whole["houses_rented"] == by_kind["rental"]
    checked = {r["target"] for r in found if r["kind"] == "check"}
    rented = {r["target"] for r in found if r["kind"] == "rental"}
    assert whole["rentals_not_checked_this_month"] == len(rented - checked)
    assert whole["units_total"] == by_kind["unit"]
    assert whole["units_special_trade"] == by_kind["trade"]
    inspected = {r["target"] for r in found if r["kind"] == "inspection"}
    assert whole["special_trade_inspections_overdue"] == len({r["target"] for r in found if r["kind"] == "trade"}
                                                              - inspected)
    plates = [r for r in found if r["kind"] == "doorplate"]
    assert whole["doorplates_total"] + whole["doorplates_retired"] == len(plates)
    assert whole["doorplates_duplicates_open"] == sum(bool(r["body"].get("allow_duplicate")) for r in plates)
    assert whole["key_persons_listed"] == by_kind["approve_key_person"]
    assert whole["employees_current"] == by_kind["employee"]
    for code, figures in truth["divisions"].items():
        if len(code) == 9:
            assert figures["persons_total"] == sum(r["body"]["division_code"] == code for r in active)


def test_a_town_of_three_hundred_has_every_planted_problem(tmp_path):
    generate(tmp_path, persons=300, seed=1, as_of=AS_OF)
    whole = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))["divisions"]["532503"]
    for figure in ("persons_logic_errors", "persons_duplicates_open", "persons_cancelled", "doorplates_retired",
                   "doorplates_duplicates_open", "rentals_not_checked_this_month", "units_special_trade",
                   "special_trade_inspections_overdue", "key_persons_listed"):
        assert whole[figure] >= 1, figure
    assert whole["persons_unlinked"] >= 1
