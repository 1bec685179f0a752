"""Identity documents (证件) of a person: types, normalisation and validation, published with the contracts.

Why here: agencies validate what they send with the same rules the person service applies, and the
normalised document number is the person's dedup key (DOMAIN.md "Dedup keys").

- 居民身份证 (GB 11643-1999): 17 digits + check character. The check arithmetic is python-stdnum's
  (``stdnum.cn.ric.calc_check_digit``); its *county* rule is not used, because it rejects people whose
  birthplace code was created after their birth year and Hong Kong / Macao / Taiwan permits. Instead the first
  six digits must be a division code that existed at some time (contracts.divisions, history included).
  A 15-digit legacy number is upgraded (insert ``19`` after digit 6, compute the check) and both are kept.
- 港澳台居民居住证: the same algorithm with 810000 / 820000 / 830000 in place of the county code.
- 外国人永久居留身份证: the 2017 card (3 letters + 12 digits) and the 2023 card (18 characters starting with 9,
  GB 11643 check, birth date in digits 7–14).
- 护照: a number and the holder's nationality (ISO 3166 alpha-3). 其他: free text.

Every rule breaks with :class:`IdentityError` naming the field and the rule, in English and Chinese.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from stdnum.cn import ric

from contracts import divisions

#: Residence permits of Hong Kong, Macao and Taiwan residents carry these in place of a county code.
PERMIT_REGIONS = {"810000": "香港", "820000": "澳门", "830000": "台湾"}


class DocumentType(StrEnum):
    """证件类型."""

    resident_id = "resident_id"  #: 居民身份证
    hmt_residence_permit = "hmt_residence_permit"  #: 港澳台居民居住证
    foreign_permanent_residence = "foreign_permanent_residence"  #: 外国人永久居留身份证 (2017 or 2023 card)
    passport = "passport"  #: 护照
    other = "other"  #: 其他证件


DOCUMENT_NAMES_ZH = {
    DocumentType.resident_id: "居民身份证", DocumentType.hmt_residence_permit: "港澳台居民居住证",
    DocumentType.foreign_permanent_residence: "外国人永久居留身份证", DocumentType.passport: "护照",
    DocumentType.other: "其他证件",
}


class IdentityError(ValueError):
    """A document number that breaks a rule: which field, which rule, why (en / zh)."""

    def __init__(self, field: str, rule: str, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.field = field
        self.rule = rule
        self.message = message
        self.message_zh = message_zh


@dataclass(frozen=True)
class Identity:
    """A validated, normalised document and what its number tells."""

    document_type: DocumentType
    number: str  #: normalised (half-width, upper case; 18 characters for an upgraded legacy number)
    legacy_number: str | None = None  #: the 15-digit number it was upgraded from (旧15位号码)
    birth_date: date | None = None
    sex: str | None = None  #: male / female, from the sex digit
    region_code: str | None = None  #: birthplace county (or 810000/820000/830000 on a permit)
    nationality: str | None = None  #: ISO 3166 alpha-3 (passports, foreign cards of 2017)
    card_edition: str | None = None  #: 2017 / 2023 for foreign permanent-residence cards

    @property
    def key(self) -> str:
        """The dedup key (one person, one record): passports are unique only per issuing country."""
        if self.document_type == DocumentType.passport:
            return f"{self.document_type}:{self.nationality}:{self.number}"
        if self.document_type in (DocumentType.resident_id, DocumentType.hmt_residence_permit,
                                  DocumentType.foreign_permanent_residence):
            return f"gb11643:{self.number}"  # one number space: a number is one person whatever the card
        return f"{self.document_type}:{self.number}"


def normalize_number(raw: str) -> str:
    """Full-width → half-width (NFKC), spaces and dashes dropped, upper case (lower-case x → X)."""
    text = unicodedata.normalize("NFKC", raw or "")
    return re.sub(r"[\s\-]", "", text).upper()


def check_character(first17: str) -> str:
    """GB 11643 check character over the first 17 characters (python-stdnum's arithmetic).

    stdnum's ``calc_check_digit`` expects the whole number and ignores its last character, so a placeholder
    stands in for the check character being computed.
    """
    return ric.calc_check_digit(first17 + "0")


def upgrade_legacy(number15: str) -> str:
    """15-digit legacy number → 18 digits: insert 19 before the two-digit year, append the check character."""
    first17 = number15[:6] + "19" + number15[6:]
    return first17 + check_character(first17)


def _birth_date(text: str, field: str, today: date) -> date:
    try:
        born = date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise IdentityError(field, "id.birth_date_invalid", f"digits 7-14 ({text}) are not a real date",
                            f"出生日期 {text} 不是有效日期") from None
    if born > today:
        raise IdentityError(field, "id.birth_date_future", f"birth date {born} is in the future",
                            f"出生日期 {born} 晚于今天")
    return born


def _gb11643_body(number: str, field: str, today: date) -> tuple[date, str]:
    """Shape, check character, birth date and sex of an 18-character GB 11643 number."""
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise IdentityError(field, "id.format", "an 18-character number needs 17 digits and a digit or X",
                            "号码应为17位数字加1位数字或X")
    expected = check_character(number[:17])
    if number[17] != expected:
        raise IdentityError(field, "id.check_character",
                            f"check character is {number[17]}, the first 17 digits give {expected}",
                            f"校验码错误: 应为 {expected}")
    born = _birth_date(number[6:14], field, today)
    return born, "male" if int(number[16]) % 2 else "female"


def validate_resident_id(raw: str, today: date | None = None, field: str = "document_number") -> Identity:
    """居民身份证, 18 digits or a 15-digit legacy number (upgraded, both kept)."""
    today = today or date.today()
    number, legacy = normalize_number(raw), None
    if re.fullmatch(r"\d{15}", number):
        _birth_date("19" + number[6:12], field, today)
        legacy, number = number, upgrade_legacy(number)
    if len(number) != 18:
        raise IdentityError(field, "id.length", f"a citizen ID number has 18 characters (or 15 legacy), got {len(number)}",
                            "居民身份证号码应为18位(或15位旧号码)")
    born, sex = _gb11643_body(number, field, today)
    region = number[:6]
    if region in PERMIT_REGIONS:
        raise IdentityError(field, "id.region_is_permit", f"{region} numbers are 港澳台居民居住证, not 居民身份证",
                            f"{region} 开头的号码为港澳台居民居住证")
    if divisions.get(region) is None:
        raise IdentityError(field, "id.region_unknown", f"{region} was never a division code",
                            f"地址码 {region} 不是曾经存在的行政区划代码")
    return Identity(DocumentType.resident_id, number, legacy, born, sex, region)


def validate_hmt_permit(raw: str, today: date | None = None, field: str = "document_number") -> Identity:
    """港澳台居民居住证: GB 11643 with 810000 / 820000 / 830000."""
    number = normalize_number(raw)
    born, sex = _gb11643_body(number, field, today or date.today())
    if number[:6] not in PERMIT_REGIONS:
        raise IdentityError(field, "id.permit_region", "a HK/Macao/Taiwan residence permit starts 810000, 820000 or 830000",
                            "港澳台居民居住证号码应以 810000、820000 或 830000 开头")
    return Identity(DocumentType.hmt_residence_permit, number, None, born, sex, number[:6])


def validate_foreign_permanent(raw: str, today: date | None = None, field: str = "document_number") -> Identity:
    """外国人永久居留身份证: 2017 card = 3 letters (nationality) + 12 digits; 2023 card = 9 + GB 11643."""
    number = normalize_number(raw)
    if re.fullmatch(r"[A-Z]{3}\d{12}", number):
        return Identity(DocumentType.foreign_permanent_residence, number, nationality=number[:3], card_edition="2017")
    if len(number) == 18 and number.startswith("9"):
        born, sex = _gb11643_body(number, field, today or date.today())
        return Identity(DocumentType.foreign_permanent_residence, number, None, born, sex, card_edition="2023")
    raise IdentityError(field, "id.foreign_card_format",
                        "a foreign permanent-residence card number is 3 letters + 12 digits (2017) or 18 characters "
                        "starting with 9 (2023)", "外国人永久居留身份证号码应为3位字母加12位数字(2017版)或以9开头的18位(2023版)")


def validate_passport(raw: str, nationality: str | None, field: str = "document_number") -> Identity:
    """护照: 5-20 letters and digits, and the holder's nationality (ISO 3166 alpha-3)."""
    number = normalize_number(raw)
    if not re.fullmatch(r"[A-Z0-9]{5,20}", number):
        raise IdentityError(field, "passport.format", "a passport number is 5-20 letters and digits",
                            "护照号码应为5至20位字母或数字")
    country = normalize_number(nationality or "")
    if not re.fullmatch(r"[A-Z]{3}", country):
        raise IdentityError("nationality", "passport.nationality_required",
                            "a passport needs the holder's nationality as an ISO 3166 alpha-3 code (e.g. USA)",
                            "护照须填写国籍(ISO 3166 三位字母代码)")
    return Identity(DocumentType.passport, number, nationality=country)


def validate_other(raw: str, field: str = "document_number") -> Identity:
    number = normalize_number(raw)
    if not 1 <= len(number) <= 32:
        raise IdentityError(field, "document.length", "a document number has 1-32 characters", "证件号码长度应为1至32位")
    return Identity(DocumentType.other, number)


def validate_document(document_type: DocumentType | str, raw: str, nationality: str | None = None,
                      today: date | None = None) -> Identity:
    """Validate and normalise any document; the entry point for commands and agencies."""
    kind = DocumentType(document_type)
    if kind == DocumentType.resident_id:
        return validate_resident_id(raw, today)
    if kind == DocumentType.hmt_residence_permit:
        return validate_hmt_permit(raw, today)
    if kind == DocumentType.foreign_permanent_residence:
        return validate_foreign_permanent(raw, today)
    if kind == DocumentType.passport:
        return validate_passport(raw, nationality)
    return validate_other(raw)


def guess_number(raw: str, today: date | None = None) -> Identity | None:
    """For a lookup by number alone: the GB 11643-family document it is, or None (passports need a country)."""
    number = normalize_number(raw)
    for validate in (validate_resident_id, validate_hmt_permit, validate_foreign_permanent):
        try:
            return validate(number, today)
        except IdentityError:
            continue
    return None
