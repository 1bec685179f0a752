"""Unified social credit code (统一社会信用代码, GB 32100-2015): parse, check, and explain a refusal.

Why our own and not ``stdnum.cn.uscc``: python-stdnum insists that the first eight characters are digits,
so it refuses codes issued by letter authorities (A 军队, N 农业, Y 其他...), which are legal and common
(N2... collective economic organisations). Here the check character runs over the 31-character alphabet for
all 17 characters, the authority and kind are looked up in the standard's table, and the county code must
name a division (at any level, at any time). The embedded organisation code (GB 11714) has its own check
character; many valid USCCs (individual businesses given a random body) fail it, so a mismatch there is a
warning, never a refusal.

Published vectors (DOMAIN.md): valid 91110000600037341L, 91110108551385082Q; invalid A1110000600037341L.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from contracts.code_rules import CodeRuleError

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  #: 31 characters: no I O Z S V
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORGANISATION_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

#: 登记管理部门 → (name, {机构类别 → name}) — GB 32100-2015 Appendix A.
AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": ("司法行政", {"1": "律师执业机构", "2": "公证处", "3": "基层法律服务所", "4": "司法鉴定机构",
                       "5": "仲裁委员会", "9": "其他"}),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": ("旅游", {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"}),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商 / 市场监管", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"}),
    "Y": ("其他", {"1": "其他"}),
}

#: County part of codes issued by national authorities (e.g. 11100000000013127D): not a division.
NATIONAL_REGION = "100000"


class UsccError(CodeRuleError):
    """Why a code is refused: ``rule`` names the rule (as in a 422's ``type``), with English and Chinese text."""


@dataclass(frozen=True)
class Uscc:
    """A USCC that passed every refusal rule, with its parts and any warnings."""

    code: str
    authority: str  #: 登记管理部门代码, e.g. 9
    authority_name: str
    kind: str  #: 机构类别代码, e.g. 1
    kind_name: str
    region_code: str  #: 登记管理机关行政区划码 (6 digits)
    organisation_code: str  #: 主体标识码 (组织机构代码, 9 characters)
    warnings: tuple[str, ...] = field(default=())


def normalize(text: str) -> str:
    """Upper case, full-width → half-width, spaces and hyphens removed (as people type and scanners read)."""
    half = "".join(chr(ord(char) - 0xFEE0) if "！" <= char <= "～" else char for char in text)
    return "".join(char for char in half if char not in " -\u3000\t").upper()


def check_character(first17: str) -> str:
    """GB 32100 check character: alphabet[(31 − Σ value×weight mod 31) mod 31]."""
    total = sum(ALPHABET.index(char) * weight for char, weight in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def organisation_check(first8: str) -> str | None:
    """GB 11714 check character of an organisation code body (digits and letters A=10..Z=35), or None if
    the body has characters GB 11714 does not weigh."""
    total = 0
    for char, weight in zip(first8, ORGANISATION_WEIGHTS):
        if char.isdigit():
            value = int(char)
        elif "A" <= char <= "Z":
            value = ord(char) - 55
        else:
            return None
        total += value * weight
    remainder = 11 - total % 11
    return "X" if remainder == 10 else "0" if remainder == 11 else str(remainder)


def _region_known(region: str) -> bool:
    """A division code at some level and some time (historical codes included: a USCC outlives renames)."""
    from contracts import divisions  # the table loads lazily: only this check needs it

    return region == NATIONAL_REGION or divisions.get(region) is not None or bool(divisions.history(region))


def parse(text: str) -> Uscc:
    """The code's parts, or :class:`UsccError` naming the first rule it breaks."""
    code = normalize(text)
    if len(code) != 18:
        raise UsccError("uscc.length", f"a USCC has 18 characters, got {len(code)}",
                        f"统一社会信用代码应为18位，实为{len(code)}位")
    bad = [char for char in code if char not in ALPHABET]
    if bad:
        raise UsccError("uscc.alphabet", f"character {bad[0]!r} is not in the USCC alphabet (no I, O, Z, S, V)",
                        f"字符“{bad[0]}”不属于统一社会信用代码字符集（不含 I、O、Z、S、V）")
    if code[17] != check_character(code[:17]):
        raise UsccError("uscc.check", f"check character should be {check_character(code[:17])}, got {code[17]}",
                        f"校验码应为 {check_character(code[:17])}，实为 {code[17]}")
    authority = AUTHORITIES.get(code[0])
    if authority is None:
        raise UsccError("uscc.authority", f"{code[0]} is not a registration authority of GB 32100",
                        f"“{code[0]}”不是登记管理部门代码")
    authority_name, kinds = authority
    if code[1] not in kinds:
        raise UsccError("uscc.kind", f"{code[1]} is not a kind registered by authority {code[0]} ({authority_name})",
                        f"“{code[1]}”不是{authority_name}登记的机构类别代码")
    region = code[2:8]
    if not region.isdigit() or not _region_known(region):
        raise UsccError("uscc.region", f"{region} is not an administrative division code",
                        f"{region} 不是行政区划代码")
    warnings = []
    organisation = code[8:17]
    expected = organisation_check(organisation[:8])
    if expected != organisation[8]:
        warnings.append(f"uscc.organisation_check: the embedded organisation code's check character should be "
                        f"{expected}, got {organisation[8]} (组织机构代码校验码不符)")
    return Uscc(code=code, authority=code[0], authority_name=authority_name, kind=code[1],
                kind_name=kinds[code[1]], region_code=region, organisation_code=organisation,
                warnings=tuple(warnings))


def is_valid(text: str) -> bool:
    try:
        parse(text)
    except UsccError:
        return False
    return True
