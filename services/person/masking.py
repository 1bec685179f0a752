"""Masking of personal data in responses (脱敏), per role and jurisdiction: one table, docs/PERSON.md shows it.

| role (inside the jurisdiction) | ID numbers             | phones        | names  |
|--------------------------------|------------------------|---------------|--------|
| admin, police, supervisor      | full                   | full          | full   |
| collector                      | 5325**********123X     | 138****8000   | full   |
| agency                         | 5325**********123X     | 138****8000   | 张*    |
| anyone outside it (not admin)  | masked                 | masked        | masked |

Collectors see names (they knock on the door) but not whole ID numbers or phones; agencies get what they need
to match records, no more. Pure: the routes pass the caller's role and whether the record is inside its scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Visibility:
    id_numbers: bool
    phones: bool
    names: bool


FULL = Visibility(True, True, True)
MASKED = Visibility(False, False, False)
POLICY: dict[str, Visibility] = {
    "admin": FULL, "police": FULL, "supervisor": FULL,
    "collector": Visibility(id_numbers=False, phones=False, names=True),
    "agency": MASKED,
}


def visibility(role: str, within_jurisdiction: bool) -> Visibility:
    if role == "admin":
        return FULL
    if not within_jurisdiction:
        return MASKED
    return POLICY.get(role, MASKED)


def mask_id(number: str | None) -> str | None:
    """First 4 and last 4 characters kept: 532503199001011234 → 5325**********1234."""
    if not number:
        return number
    if len(number) <= 8:
        return number[:1] + "*" * (len(number) - 1)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_phone(phone: str | None) -> str | None:
    """E.164 +8613800138000 → +86138****8000: the last 4 digits and the prefix kept."""
    if not phone:
        return phone
    return phone[:-8] + "****" + phone[-4:] if len(phone) > 8 else "*" * len(phone)


def mask_name(name: str | None) -> str | None:
    """张三 → 张*, 欧阳明华 → 欧***; Latin names keep the first letter of each word."""
    if not name:
        return name
    if name.isascii():
        return " ".join(word[:1] + "*" * (len(word) - 1) for word in name.split())
    return name[0] + "*" * (len(name) - 1)


ID_FIELDS = ("document_number", "legacy_number")
PHONE_FIELDS = ("phone",)
NAME_FIELDS = ("name",)
DETAIL_NAME_FIELDS = ("foreign_name", "emergency_contact", "owner_name")


def mask_person(record: dict[str, Any], seen: Visibility) -> dict[str, Any]:
    """A copy of a person record with what ``seen`` does not allow masked."""
    if seen == FULL:
        return record
    record = dict(record)
    if not seen.id_numbers:
        for field in ID_FIELDS:
            record[field] = mask_id(record.get(field))
    if not seen.phones:
        for field in PHONE_FIELDS:
            record[field] = mask_phone(record.get(field))
    if not seen.names:
        for field in NAME_FIELDS:
            record[field] = mask_name(record.get(field))
        record["former_names"] = [mask_name(name) for name in record.get("former_names") or []]
        if isinstance(record.get("details"), dict):
            record["details"] = {key: mask_name(value) if key in DETAIL_NAME_FIELDS and isinstance(value, str)
                                 else value for key, value in record["details"].items()}
    record["masked"] = True
    return record
