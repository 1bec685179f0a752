"""The masking policy (脱敏策略): who sees which personal data whole, applied to any record at any depth.

| caller, for a record inside its jurisdiction | ID numbers         | other documents | phones      | names | key persons |
|----------------------------------------------|--------------------|-----------------|-------------|-------|-------------|
| admin (anywhere), police, supervisor         | full               | full            | full        | full  | shown       |
| collector                                    | 5325**********123X | V1*****78       | 138****8000 | full  | not shown   |
| agency                                       | 5325**********123X | V1*****78       | 138****8000 | 张*   | not shown   |
| anyone but admin, for a record outside it    | masked             | masked          | masked      | masked| not shown   |

Collectors see names (they knock on the door) but not whole numbers; agencies get what they need to match
records, no more; who is a key person reaches only the roles of ``key_person.read``. Which fields are which is
classified once in contracts.personal; ``mask_tree`` walks any response, alert, diff or log entry by it: a record
carrying ``division_code`` is judged by that division (a unit's employee registered in another county is masked
inside the unit's answer, and shows nothing of where they live), a record without one by the record around it.
Pure: no I/O, no FastAPI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from contracts.personal import (
    ID_NUMBER_IN_TEXT, KEY_PERSON_FIELDS, PARTY_FIELDS, PHONE_IN_TEXT, PROFILE_FIELDS, RESIDENCE_FIELDS, PersonalKind,
    classify,
)


@dataclass(frozen=True)
class Visibility:
    id_numbers: bool
    phones: bool
    names: bool
    key_persons: bool = False

    def sees(self, kind: PersonalKind) -> bool:
        if kind is PersonalKind.PHONE:
            return self.phones
        if kind is PersonalKind.NAME:
            return self.names
        return self.id_numbers


FULL = Visibility(True, True, True, True)
MASKED = Visibility(False, False, False, False)
POLICY: dict[str, Visibility] = {
    "admin": FULL, "police": FULL, "supervisor": FULL,
    "collector": Visibility(id_numbers=False, phones=False, names=True, key_persons=False),
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


def mask_document(number: str | None) -> str | None:
    """A visa or residence-permit number keeps its first and last 2 characters: V12345678 → V1*****78."""
    if not number:
        return number
    if len(number) <= 4:
        return "*" * len(number)
    return number[:2] + "*" * (len(number) - 4) + number[-2:]


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


MASKS: dict[PersonalKind, Callable[[str | None], str | None]] = {
    PersonalKind.ID_NUMBER: mask_id, PersonalKind.DOCUMENT_NUMBER: mask_document,
    PersonalKind.PHONE: mask_phone, PersonalKind.NAME: mask_name,
}
#: keys holding codes and ids, never free text: not searched for numbers (a USCC can be 18 digits)
CODE_KEYS = frozenset({"uscc", "code", "stream_id", "event_id", "correlation_id", "causation_id"})


def mask_value(kind: PersonalKind, value: Any, seen: Visibility) -> Any:
    """``value`` (a string, or a list of them) masked as ``kind`` unless ``seen`` allows it whole."""
    if seen.sees(kind):
        return value
    if isinstance(value, str):
        return MASKS[kind](value)
    if isinstance(value, list):
        return [mask_value(kind, item, seen) for item in value]
    return value


#: both patterns need a decimal digit: text without one is left as it is, unsearched (most strings a walk meets)
DIGIT = re.compile(r"\d")


def scrub_text(text: str, seen: Visibility) -> str:
    """ID numbers and phones quoted in free text (an error message, a remark), masked as ``seen`` requires."""
    if (seen.id_numbers and seen.phones) or not DIGIT.search(text):
        return text
    if not seen.id_numbers:
        text = ID_NUMBER_IN_TEXT.sub(lambda match: mask_id(match.group()) or "", text)
    if not seen.phones:
        text = PHONE_IN_TEXT.sub(lambda match: mask_phone(match.group()) or "", text)
    return text


@dataclass(frozen=True)
class Viewer:
    """Who is looking: a role and the divisions it covers (``covers(None)`` is never asked)."""

    role: str
    covers: Callable[[str], bool] = lambda _division: True
    #: a visibility given outright (one record already judged), instead of the role's in or out of jurisdiction
    fixed: Visibility | None = None

    def seen(self, within: bool) -> Visibility:
        return self.fixed if self.fixed is not None else visibility(self.role, within)


def _is_person(record: dict, inherited: bool, party: bool) -> bool:
    if record.get("unit_id") and not record.get("person_id"):
        return False  # a unit (an employer, a party that is a unit) is not a person, wherever it sits
    if party or "person_id" in record or record.get("stream_type") == "Person":
        return True
    return inherited or str(record.get("stream_id", "")).startswith("person-")


def _change(record: dict, on_person: bool, viewer: Viewer, within: bool) -> dict:
    """An audit diff {field, old, new}: the values are masked by what the (dotted) field is."""
    parts = str(record["field"]).split(".")
    on_person = on_person or any(part in PARTY_FIELDS for part in parts[:-1])
    kind, seen = classify(parts[-1], on_person), viewer.seen(within)
    if parts[-1] in KEY_PERSON_FIELDS and not seen.key_persons:
        return {**record, "old": None, "new": None, "masked": True}
    shown = dict(record)
    for key in ("old", "new"):
        if key not in record:
            continue
        if kind is not None:
            shown[key] = _walk(mask_value(kind, record[key], seen), viewer, within, on_person, False)
        else:
            shown[key] = _walk(record[key], viewer, within, on_person, parts[-1] in PARTY_FIELDS)
    return shown


def _walk(value: Any, viewer: Viewer, within: bool, on_person: bool, party: bool, key: str = "") -> Any:
    if isinstance(value, dict):
        return _record(value, viewer, within, on_person, party)
    if isinstance(value, list):
        return [_walk(item, viewer, within, on_person, party, key) for item in value]
    if isinstance(value, str) and key not in CODE_KEYS and not key.endswith(("_id", "_code")):
        return scrub_text(value, viewer.seen(within))
    return value


def _record(record: dict, viewer: Viewer, within: bool, inherited: bool, party: bool) -> dict:
    division = record.get("division_code")
    if isinstance(division, str) and division:
        within = viewer.covers(division)
    on_person = _is_person(record, inherited, party)
    if "field" in record and ("old" in record or "new" in record):
        return _change(record, on_person, viewer, within)
    seen = viewer.seen(within)
    shown: dict = {}
    for key, value in record.items():
        if key in KEY_PERSON_FIELDS and not seen.key_persons:
            continue
        if not within and "person_id" in record and (key in RESIDENCE_FIELDS or key in PROFILE_FIELDS):
            continue  # a person of another jurisdiction: nothing of where they live nor of who they are
        if value is None or isinstance(value, (bool, int, float)):
            shown[key] = value  # nothing to mask in a number, a flag or an absent value
            continue
        kind = classify(key, on_person)
        if kind is not None and (isinstance(value, str) or (isinstance(value, list)
                                                             and all(isinstance(v, str) for v in value))):
            shown[key] = mask_value(kind, value, seen)
        elif isinstance(value, str):  # _walk's text rule, without the call (most values are text)
            shown[key] = value if key in CODE_KEYS or key.endswith(("_id", "_code")) else scrub_text(value, seen)
        else:
            shown[key] = _walk(value, viewer, within, on_person, key in PARTY_FIELDS, key)
    return shown


def mask_tree(value: Any, viewer: Viewer, within: bool = True) -> Any:
    """A copy of ``value`` (a response, an alert, a diff) with everything ``viewer`` may not see masked or left
    out; ``within``: whether the outermost record, when it names no division, lies inside the jurisdiction."""
    if viewer.role == "admin":
        return value
    return _walk(value, viewer, within, False, False)


def mask_person(record: dict[str, Any], seen: Visibility) -> dict[str, Any]:
    """A copy of one person record masked as ``seen`` allows (the person routes' own answer, marked ``masked``)."""
    if seen == FULL:
        return record
    shown = _record(record, Viewer(role="", fixed=seen), True, True, False)
    shown["masked"] = True
    return shown
