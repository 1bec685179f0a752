"""Agency record types (社会化采集的记录类型): one table entry each — schema, owning context, command.

An entry says which context owns the records (they go to ``<ns>.<owner>.ingest``), which registry command each
operation runs and which fields that command applies. An agency's grant (services/ingest/agencies.json) names
record types and fields; the gate refuses, with ``field.not_permitted`` naming the field, a field the agency is
not granted or that the operation does not apply — a field is never dropped. ``restates`` are the create's
fields an update may carry unchanged (an agency resending its whole record with one change): the registry
accepts them only when they equal what the agency's last accepted record said, and refuses a change of one.

A new record type is an entry here plus its handler in ``services/<owner>/ingest.py`` (``EntityHandler``:
one coroutine per operation); a new agency is configuration (agencies.json) plus a test. Pure data: the gate,
the registries, the 采集表 templates and the AsyncAPI document read it, and a unit test checks each entry's
fields against its command models and its handler.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Operation = Literal["create", "update", "cancel"]


@dataclass(frozen=True)
class Applies:
    """What one operation of a record type runs: the registry command(s) and the fields they apply."""

    command: str  #: the registry's command(s), e.g. ``RegisterHouse`` or ``CorrectHouse + ChangeUse``
    fields: tuple[str, ...]


@dataclass(frozen=True)
class RecordType:
    """One agency record type: its owner and, per operation, the command and applied fields."""

    entity_type: str
    owner: str  #: the context whose registry applies it (contracts/contexts.py)
    title: str  #: the Chinese term and a gloss
    operations: dict[str, Applies]
    #: fields the entity id is built from, in order (``<house_id>/<rental_id>``): how a reply names the record
    entity_id: str = ""
    restates: tuple[str, ...] = field(default=())

    def applies(self, operation: str) -> Applies | None:
        return self.operations.get(operation)

    def fields(self) -> set[str]:
        """Every field some operation of this type applies (what a grant may name)."""
        return {name for applies in self.operations.values() for name in applies.fields}

    def not_applicable(self, operation: str, names) -> list[str]:
        """The fields of ``names`` that ``operation`` does not apply (an update may also restate the create's)."""
        applies = self.operations.get(operation)
        allowed = set(applies.fields if applies else ()) | (set(self.restates) if operation == "update" else set())
        return sorted(set(names) - allowed)


_PERSON_CORRECTABLE = ("name", "former_names", "sex", "birth_date", "ethnicity", "phone", "household_registration",
                       "education", "marital_status", "occupation", "employer", "photo_ref", "document_number")
_PERSON_CREATE = (
    "category", "document_type", "document_number", "nationality", "name", "former_names", "foreign_name", "sex",
    "birth_date", "ethnicity", "phone", "household_registration", "education", "marital_status", "occupation",
    "employer", "photo_ref", "division_code", "household_number", "relation_to_head", "lives_at_registered_address",
    "moved_in_on", "move_in_reason", "reason_not_registered", "residence_reason", "arrival_date", "origin",
    "residence_type", "renting", "owner_name", "relation_to_owner", "accommodation", "registration_valid_until",
    "expected_leave_date", "residence_permit_number", "residence_permit_expiry", "emergency_contact", "host_unit",
    "lodging_reason", "lodging_type", "start_date", "visa_type", "visa_number", "entry_date", "permitted_stay_until",
    "arrived_at", "legacy_import")
_HOUSE_CREATE = ("address_code", "address_text", "property_nature", "use", "area", "rooms", "owner",
                 "management_level", "key_house", "key_reason")
_UNIT_CORRECTABLE = ("name", "aliases", "unit_type", "industry_code", "legal_representative", "security_person",
                     "phone", "business_scope", "area", "capacity")
_UNIT_CREATE = (*_UNIT_CORRECTABLE, "uscc", "address_code", "address_text", "opened_on", "licences")
#: a declaration's fields, by kind (services/ingest/declarations/commands.py; ``kind`` chooses which apply)
_DECLARED = ("kind", "division_code", "remark", "house_id", "rental_id", "person_id", "moved_in", "moved_out",
             "unit_id", "position", "hired", "left", "document_type", "document_number", "nationality", "name",
             "hotel_name", "hotel_unit_id", "address_code", "room", "checked_in", "checked_out")
_PERSON_KEY = ("document_type", "document_number", "nationality")  #: who a record names (证件), looked up

RECORD_TYPES: dict[str, RecordType] = {t.entity_type: t for t in (
    RecordType("person", "person", "实有人口 a person", {
        "create": Applies("RegisterPerson", _PERSON_CREATE),
        "update": Applies("CorrectPerson (更正)", (*_PERSON_CORRECTABLE, "remark")),
        "cancel": Applies("CancelPerson (注销)", ("reason", "cancelled_on", "remark")),
    }, restates=_PERSON_CREATE),
    RecordType("house", "house", "实有房屋 a house", {
        "create": Applies("RegisterHouse", _HOUSE_CREATE),
        "update": Applies("CorrectHouse + ChangeUse + ChangeOwner (纠错, 用途变更, 产权变更)",
                          ("property_nature", "area", "rooms", "use", "owner", "reason")),
    }, restates=_HOUSE_CREATE),
    RecordType("unit", "unit", "实有单位 a unit (with its licences 证照)", {
        "create": Applies("RegisterUnit", _UNIT_CREATE),
        "update": Applies("CorrectUnit + RecordUscc + Relocate (纠错, 补录信用代码, 迁址)",
                          (*_UNIT_CORRECTABLE, "uscc", "address_code", "address_text", "moved_on", "reason")),
        "cancel": Applies("ChangeStatus close (关闭)", ("on", "reason")),
    }, restates=_UNIT_CREATE),
    RecordType("rental", "house", "出租登记 a rental of a house", {
        "create": Applies("StartRental", ("house_id", "lessor", "lessor_role", "rooms_let", "area_let", "monthly_rent",
                                          "start", "end", "security_person", "responsibility_letter_signed")),
        "cancel": Applies("EndRental (租赁终止)", ("ended_on", "reason")),
    }, entity_id="house_id/rental_id"),
    RecordType("tenant", "house", "承租人 a tenant of a rental", {
        "create": Applies("AddTenant (入住)", ("house_id", "rental_id", "person_id", "moved_in")),
        "cancel": Applies("TenantMoveOut (搬离)", ("moved_out",)),
    }, entity_id="house_id/rental_id/person_id"),
    RecordType("employee", "unit", "从业人员 an employee of a unit", {
        "create": Applies("Hire (入职)", ("unit_id", "person_id", "position", "hired")),
        "cancel": Applies("Leave (离职)", ("left",)),
    }, entity_id="unit_id/person_id"),
    RecordType("place", "address", "地址要素 a road, street, community or compound (民政地名)", {
        "create": Applies("RegisterPlace", ("element_type", "name", "parent_code", "aliases")),
        "update": Applies("RenamePlace (更名)", ("name", "reason")),
        "cancel": Applies("RetirePlace (撤销)", ("reason", "retired_on")),
    }, restates=("element_type", "parent_code", "aliases")),
    RecordType("doorplate", "address", "门牌申请 a door-plate application (pending until approved)", {
        "create": Applies("RegisterDoorplate (source agency; 审核 at the configured level)",
                          ("place_code", "division_code", "road_name", "number", "prefix", "temporary", "side",
                           "location", "aliases")),
        "update": Applies("Renumber + Relocate (门牌整顿, 坐标)", ("number", "prefix", "location", "reason")),
        "cancel": Applies("RetireDoorplate (注销)", ("reason", "retired_on")),
    }, restates=("place_code", "division_code", "road_name", "temporary", "side", "aliases")),
    RecordType("building", "address", "楼栋 a building of a door plate with its floors and rooms (生成层户)", {
        "create": Applies("GenerateBuilding", ("address_code", "building", "units", "floors", "rooms_per_floor",
                                               "underground_floors", "underground_rooms_per_floor", "shop_fronts",
                                               "seq_digits", "skip_floor_numbers")),
    }),
    RecordType("released_prisoner", "person", "刑满释放人员 a released prisoner: a 列管申请 awaiting approval", {
        "create": Applies("ApplyKeyPersonListing (列管申请, category 09 unless given)",
                          (*_PERSON_KEY, "category_code", "problem", "responsible_unit", "responsible_officer",
                           "control_level", "released_on", "offence")),
    }),
    RecordType("declaration", "ingest", "信息申报 a declaration (承租人入住/搬离, 从业人员入职/离职, 旅客入住) awaiting "
               "police verification", {
                   "create": Applies("Declare (申报; police verify or reject it, then its registry applies it)",
                                     _DECLARED),
               }),
    RecordType("residence", "person", "居住登记 a person's residence at a standard address (人房关联, 入住)", {
        "create": Applies("MoveIn (入住: the person's previous residence ends that day)",
                          ("person_id", "address_code", "moved_in", "reason", "residence_type", "owner_name",
                           "lessor_name")),
    }, entity_id="person_id"),
    RecordType("hotel_stay", "person", "旅馆住宿登记 a hotel guest's stay (the watch's hotel-stay source)", {
        "create": Applies("RecordHotelStay", (*_PERSON_KEY, "name", "hotel_name", "hotel_unit_id", "division_code",
                                              "address_code", "room", "checked_in", "checked_out")),
    }),
)}

#: entity type → the context that owns it (the record is forwarded to that registry's ingest topic)
OWNERS: dict[str, str] = {name: record_type.owner for name, record_type in RECORD_TYPES.items()}


def record_type(entity_type: str) -> RecordType | None:
    return RECORD_TYPES.get(entity_type)
