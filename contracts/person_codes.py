"""Code tables of the person registry shipped as package data: GB 3304 ethnicities, key-person categories.

Why shipped: agencies and every service must agree on a code's meaning without asking a service; the files
live in contracts/data/ and are read once.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources


@cache
def _table(filename: str) -> dict[str, dict[str, str]]:
    text = resources.files("contracts.data").joinpath(filename).read_text(encoding="utf-8")
    return {row["code"]: row for row in csv.DictReader(io.StringIO(text))}


def ethnicities() -> dict[str, str]:
    """GB 3304 民族代码 → name (01 汉族 … 56 基诺族, 97 其他, 98 外国血统中国籍人士)."""
    return {code: row["name"] for code, row in _table("ethnicities_gb3304.csv").items()}


def ethnicity_code(value: str) -> str | None:
    """The GB 3304 code for a code (``1``, ``01``), a name (``汉族``, ``汉``) or a letter code (``HA``); None if unknown."""
    value = (value or "").strip()
    table = _table("ethnicities_gb3304.csv")
    if value.isdigit() and value.zfill(2) in table:
        return value.zfill(2)
    for code, row in table.items():
        if value in (row["name"], row["name"].removesuffix("族")) or (row["letter_code"] and value.upper() == row["letter_code"]):
            return code
    return None


def key_person_categories() -> dict[str, str]:
    """重点人员类别 code → name, from configuration shipped with the contracts (key_person_categories.csv)."""
    return {code: row["name"] for code, row in _table("key_person_categories.csv").items()}
