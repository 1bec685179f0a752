"""Industry classification (国民经济行业分类, GB/T 4754-2017): sections, divisions, and the agreement rule.

A unit's industry is written ``I64`` (section letter + two-digit division), optionally deeper (``I641`` group,
``I6410`` class). The shipped table (``data/gbt4754_2017.csv``) has the 20 sections and 97 divisions with
their names; a code is valid when its section exists, its division exists and belongs to that section
(A 01–05 ... T 97). Deeper digits are checked for form only: the group and class tables are not shipped.
A bare division (``64``) is accepted and gets its section.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from contracts.code_rules import CodeRuleError

DATA_FILE = "gbt4754_2017.csv"

#: Division ranges per section, as the standard prints them (DOMAIN.md): the table must agree with these.
SECTION_RANGES: dict[str, tuple[int, int]] = {
    "A": (1, 5), "B": (6, 12), "C": (13, 43), "D": (44, 46), "E": (47, 50), "F": (51, 52), "G": (53, 60),
    "H": (61, 62), "I": (63, 65), "J": (66, 69), "K": (70, 70), "L": (71, 72), "M": (73, 75), "N": (76, 79),
    "O": (80, 82), "P": (83, 83), "Q": (84, 85), "R": (86, 90), "S": (91, 96), "T": (97, 97),
}

_FORM = re.compile(r"^(?P<section>[A-Z])?(?P<division>\d{2})(?P<deeper>\d{1,2})?$")


class IndustryError(CodeRuleError):
    """Why an industry code is refused; ``rule`` is the 422 ``type``."""


@dataclass(frozen=True)
class Industry:
    """A checked industry code, normalised to section letter + digits (``I64``)."""

    code: str
    section: str
    section_name: str
    division: str
    division_name: str


@lru_cache(maxsize=1)
def table() -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """(section → name, division → (section, name)), read once from the shipped CSV."""
    text = resources.files("contracts.data").joinpath(DATA_FILE).read_text(encoding="utf-8")
    sections: dict[str, str] = {}
    divisions: dict[str, tuple[str, str]] = {}
    current = ""
    for row in csv.DictReader(io.StringIO(text)):
        if row["code"].isalpha():
            current = row["code"]
            sections[current] = row["name"]
        else:
            divisions[row["code"]] = (current, row["name"])
    return sections, divisions


def sections() -> dict[str, str]:
    return dict(table()[0])


def divisions() -> dict[str, tuple[str, str]]:
    return dict(table()[1])


def section_of(division: str) -> str | None:
    entry = table()[1].get(division)
    return entry[0] if entry else None


def parse(text: str) -> Industry:
    """The checked industry, or :class:`IndustryError` naming the broken rule."""
    code = text.strip().upper().replace(" ", "")
    match = _FORM.match(code)
    if match is None:
        raise IndustryError("industry.format", f"{text!r} is not a GB/T 4754 code (section letter + division "
                            f"digits, e.g. I64)", f"“{text}”不是国民经济行业代码（门类字母+大类两位数字，如 I64）")
    section_names, division_table = table()
    division = match["division"]
    if division not in division_table:
        raise IndustryError("industry.division", f"{division} is not a GB/T 4754-2017 division",
                            f"{division} 不是 GB/T 4754-2017 的行业大类")
    owner, division_name = division_table[division]
    section = match["section"] or owner
    if section not in section_names:
        raise IndustryError("industry.section", f"{section} is not a GB/T 4754-2017 section (A–T)",
                            f"{section} 不是行业门类（A–T）")
    if section != owner:
        raise IndustryError("industry.section_mismatch",
                            f"division {division} belongs to section {owner} ({section_names[owner]}), not {section}",
                            f"大类 {division} 属于门类 {owner}（{section_names[owner]}），不属于 {section}")
    return Industry(code=f"{section}{division}{match['deeper'] or ''}", section=section,
                    section_name=section_names[section], division=division, division_name=division_name)
