"""Phone numbers (联系电话): validated and normalised to E.164 with Google's libphonenumber (``phonenumbers``).

A number without a country code is read as Chinese (+86): mobile 13800138000 and fixed-line 0873-3721234 both
normalise (+8613800138000, +868733721234).
"""

from __future__ import annotations

import phonenumbers


class PhoneError(ValueError):
    def __init__(self, raw: str) -> None:
        super().__init__(f"{raw!r} is not a valid phone number")
        self.raw = raw


def normalize_phone(raw: str, region: str = "CN") -> str:
    """E.164 form of ``raw``; raises PhoneError when it is not a possible, valid number."""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise PhoneError(raw) from None
    if not phonenumbers.is_valid_number(parsed):
        raise PhoneError(raw)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
