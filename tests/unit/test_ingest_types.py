"""The record types' table (contracts/ingest_types.py) and the grant rules: every entry is backed by its registry's
commands and handler, every shipped grant names the table, and a field not granted or not applicable to the
operation is refused by name (``field.not_permitted``), never dropped."""

from __future__ import annotations

import importlib

import pytest
from pydantic import ValidationError

from contracts.contexts import context
from contracts.ingest import IngestRecord
from contracts.ingest_types import RECORD_TYPES
from services.address import commands as address
from services.house import commands as house
from services.ingest.declarations import commands as declarations
from services.ingest.config import Agency, agencies
from services.ingest.gate import check
from services.person import commands as person
from services.person.agency_records import RecordHotelStay
from services.person.watch.rules import configured, match
from services.person.watch.sources import SOURCES
from services.unit import commands as unit

PERSON_CREATE = set().union(*(model.model_fields for model in (
    person.RegisterRegistered, person.RegisterLodger, person.RegisterMigrant, person.RegisterForeigner,
    person.RegisterUnregistered)))
DOCUMENT = {"document_type", "document_number", "nationality"}
#: (entity type, operation) → the fields its command(s) take, plus what the handler reads itself
COMMANDS: dict[tuple[str, str], set[str]] = {
    ("person", "create"): PERSON_CREATE,
    ("person", "update"): set(person.CorrectPerson.model_fields) | {"name", "former_names", "sex", "birth_date",
                          "ethnicity", "phone", "household_registration", "education", "marital_status", "occupation",
                          "employer", "photo_ref", "document_number"},
    ("person", "cancel"): set(person.CancelPerson.model_fields),
    ("house", "create"): set(house.RegisterHouse.model_fields) | {"address_text"},
    ("house", "update"): set(house.CorrectHouse.model_fields) | set(house.ChangeUse.model_fields)
    | set(house.ChangeOwner.model_fields),
    ("unit", "create"): set(unit.RegisterUnit.model_fields) | {"address_text"},
    ("unit", "update"): set(unit.CorrectUnit.model_fields) | set(unit.RecordUscc.model_fields)
    | set(unit.Relocate.model_fields) | {"address_text"},
    ("unit", "cancel"): set(unit.ChangeStatus.model_fields),
    ("rental", "create"): set(house.StartRental.model_fields) | {"house_id"},
    ("rental", "cancel"): set(house.EndRental.model_fields),
    ("tenant", "create"): set(house.AddTenant.model_fields) | {"house_id", "rental_id"},
    ("tenant", "cancel"): set(house.TenantMoveOut.model_fields),
    ("employee", "create"): set(unit.Hire.model_fields) | {"unit_id"},
    ("employee", "cancel"): set(unit.Leave.model_fields),
    ("place", "create"): set(address.RegisterPlace.model_fields),
    ("place", "update"): {"name", "reason"},  # name → RenamePlace.new_name
    ("place", "cancel"): set(address.RetirePlace.model_fields),
    ("doorplate", "create"): set(address.RegisterDoorplate.model_fields) - {"source", "allow_duplicate"},
    ("doorplate", "update"): set(address.Renumber.model_fields) | set(address.Relocate.model_fields),
    ("doorplate", "cancel"): set(address.RetireDoorplate.model_fields),
    ("building", "create"): set(address.GenerateBuilding.model_fields) | {"address_code"},
    ("released_prisoner", "create"): set(person.ApplyKeyPersonListing.model_fields) | DOCUMENT
    | {"released_on", "offence"},
    ("hotel_stay", "create"): set(RecordHotelStay.model_fields) | DOCUMENT | {"name"},
    ("residence", "create"): set(person.MoveIn.model_fields) | {"person_id"},
    ("declaration", "create"): set().union(*(model.model_fields for model in (
        declarations.TenantIn, declarations.TenantOut, declarations.EmployeeIn, declarations.EmployeeOut,
        declarations.GuestCheckIn))),
}


def test_the_issue_names_every_record_type():
    assert set(RECORD_TYPES) >= {"person", "house", "unit", "place", "doorplate", "building", "released_prisoner",
                                 "rental", "tenant", "employee", "hotel_stay", "residence"}


@pytest.mark.parametrize("entity_type", sorted(RECORD_TYPES))
def test_every_entry_is_its_registry_commands_and_handler(entity_type):
    kind = RECORD_TYPES[entity_type]
    assert "ingest" in context(kind.owner).extra_topics, f"{kind.owner} has no ingest topic"
    handlers = {h.entity_type: h for h in importlib.import_module(f"services.{kind.owner}.ingest").HANDLERS}
    handler = handlers[entity_type]
    assert {op for op in ("create", "update", "cancel") if getattr(handler, op) is not None} == set(kind.operations)
    for operation, applies in kind.operations.items():
        unknown = set(applies.fields) - COMMANDS[(entity_type, operation)] - {"expected_version"}
        assert not unknown, f"{entity_type} {operation} declares fields its command does not take: {unknown}"
        assert "expected_version" not in applies.fields
    assert set(kind.restates) <= set(kind.operations["create"].fields)


def test_every_shipped_agency_grants_table_fields_and_a_typo_fails_at_start():
    shipped = agencies()
    assert {"mz-civil-affairs", "mz-housing", "mz-justice", "wl-tianma-hotel"} <= set(shipped)
    granted = {entity_type for agency in shipped.values() for entity_type in agency.entity_types}
    assert granted >= {"place", "doorplate", "building", "rental", "tenant", "released_prisoner", "hotel_stay",
                       "employee", "unit", "residence"}
    with pytest.raises(ValidationError, match="applies no field"):
        Agency(id="bad", name="x", jurisdiction="532503", entity_types={"house": ["colour"]})
    with pytest.raises(ValidationError, match="unknown entity type"):
        Agency(id="bad", name="x", jurisdiction="532503", entity_types={"boat": []})


HOUSING = Agency(id="mz-housing", name="住建", jurisdiction="532503",
                 entity_types={"house": ["address_code", "use", "area", "management_level"],
                               "building": ["address_code", "units", "floors", "rooms_per_floor"]})


def _record(entity_type: str, operation: str, **fields) -> IngestRecord:
    return IngestRecord(record_id="R1", entity_type=entity_type, operation=operation, fields=fields)


def test_a_field_not_granted_is_refused_by_name():
    reasons = check(HOUSING, _record("house", "create", address_code="532503001", use="rented", owner={"name": "李"}))
    assert [(r.field, r.rule) for r in reasons] == [("owner", "field.not_permitted")] and "owner" in reasons[0].msg


def test_a_granted_field_the_operation_does_not_apply_is_refused_by_name():
    # a house is not cancelled by an agency; a building is only generated
    assert check(HOUSING, _record("house", "cancel"))[0].rule == "operation.unsupported"
    assert check(HOUSING, _record("building", "update", units=2))[0].rule == "operation.unsupported"
    # area is granted and applied by an update; units is granted for buildings but a house has none
    housing = HOUSING.model_copy(update={"entity_types": {**HOUSING.entity_types, "house": [
        *HOUSING.entity_types["house"], "reason"]}})
    assert check(housing, _record("house", "update", area=90, reason="实测")) == []
    reasons = check(housing, _record("house", "create", address_code="532503001", use="rented", reason="x"))
    assert [(r.field, r.rule) for r in reasons] == [("reason", "field.not_permitted")]
    assert "does not apply" in reasons[0].msg and reasons[0].msg_zh


def test_an_update_may_restate_a_create_field_for_the_registry_to_compare():
    """management_level is not changed by an update, but a whole record resent with one change carries it:
    the gate lets it through and the registry refuses it only if it differs (test_ingest_applier)."""
    assert check(HOUSING, _record("house", "update", area=90, management_level="normal")) == []


def test_the_watch_raises_a_hotel_stay():
    assert "HotelStayRecorded" in SOURCES
    assert SOURCES["HotelStayRecorded"].persons({"person_id": "P-1"}) == ["P-1"]
    assert match(configured(), "HotelStayRecorded", "09", None).rule == "hotel_stay"
