"""Personal fields (个人信息字段), classified once: which fields carry identifiers, phones, names and document
numbers, which carry a person's residence, and which say who is a key person (重点人员).

Every output path (responses, SSE alerts, audit diffs, the audit log, error messages, xlsx error workbooks, log
lines) masks by this classification through services.kernel.base.masking, so a new field is protected by naming it
here, not by remembering every route. Keys are matched wherever they occur in a record, at any depth; ``name`` is
a personal name only on a person (a record with ``person_id``, a person stream) or a party (an owner, lessor,
security or legal representative that is not a unit), never on a unit, road or division.
"""

from __future__ import annotations

import re
from enum import StrEnum


class PersonalKind(StrEnum):
    """What a field holds, which decides how it is masked and who may see it whole."""

    ID_NUMBER = "id_number"  # 身份证件号码 (the identity document: resident ID, passport, ...)
    DOCUMENT_NUMBER = "document_number"  # 其他证件号码: visa, residence permit
    PHONE = "phone"  # 联系电话
    NAME = "name"  # 姓名 and other names of natural persons


#: Keys that are personal wherever they occur.
FIELDS: dict[str, PersonalKind] = {
    "document_number": PersonalKind.ID_NUMBER,
    "legacy_number": PersonalKind.ID_NUMBER,
    "id_number": PersonalKind.ID_NUMBER,
    "visa_number": PersonalKind.DOCUMENT_NUMBER,
    "residence_permit_number": PersonalKind.DOCUMENT_NUMBER,
    "phone": PersonalKind.PHONE,
    "owner_name": PersonalKind.NAME,
    "lessor_name": PersonalKind.NAME,
    "foreign_name": PersonalKind.NAME,
    "former_names": PersonalKind.NAME,
    "former_name": PersonalKind.NAME,
    "emergency_contact": PersonalKind.NAME,
}

#: Keys that are a personal name only on a person or a party (a unit's, road's or division's ``name`` is not).
PERSON_NAME_FIELDS = frozenset({"name"})

#: Keys whose value is a party or a person (its ``name`` is a person's name unless it is a unit).
PARTY_FIELDS = frozenset({"owner", "lessor", "security_person", "security_persons", "legal_representative",
                          "person", "persons", "lookup"})

#: Keys that say where a person lives: not shown for a person outside the caller's jurisdiction (a unit's
#: employee or a tenant registered elsewhere shows the masked name and nothing of the residence).
RESIDENCE_FIELDS = frozenset({"residence", "residences", "current_address", "address_code", "address_name",
                              "moved_in", "residence_type", "history", "full_name", "location"})

#: Keys that describe the person (人员类别, 人员状态, 性别, 出生日期 ...): not shown for a person outside the caller's
#: jurisdiction either; a link to them (an employee, a tenant) shows who (masked) and the link, nothing more.
PROFILE_FIELDS = frozenset({"category", "category_code", "person_status", "sex", "birth_date", "ethnicity",
                            "nationality", "household_number", "relation_to_head"})

#: Keys that say who is a key person (重点人员): only the roles of ``key_person.read`` see them.
KEY_PERSON_FIELDS = frozenset({"key_person", "key_persons", "key_person_present", "key_person_id",
                               "key_person_owners", "watch_key_persons"})

#: Free text (an error message, a reason) may still quote a number: these find ID numbers and phones in text.
ID_NUMBER_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
PHONE_IN_TEXT = re.compile(r"(?<![0-9A-Za-z+])(?:\+\d{8,15}|1[3-9]\d{9})(?![0-9A-Za-z])")


def classify(key: str, on_person: bool) -> PersonalKind | None:
    """The kind of personal data under ``key`` (``on_person``: the record is a person or a party), or None."""
    kind = FIELDS.get(key)
    if kind is None and on_person and key in PERSON_NAME_FIELDS:
        return PersonalKind.NAME
    return kind
