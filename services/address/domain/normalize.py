"""Canonical text of free-text addresses (地址标准化), the input of deduplication and matching.

Why: the same door is written 天马路十八号三幢二单元一二〇三号, 天馬路18号3座2单元1203室 or
云南省红河州蒙自市天马路18号3-2-1203.  Normalising both sides to one spelling makes exact comparison
meaningful and fuzzy comparison fair.  Steps, in order:

1. full-width → half-width, Latin letters upper-case, bracketed remarks and punctuation removed;
2. the division prefix (province / prefecture / county / township names, full, short or bare stem)
   is stripped using the division registry (before numerals: 二七区 is a name);
3. Chinese numerals → digits where they are numbers of an address component (十二栋 → 12栋,
   一千二百零三室 → 1203室, 二〇三 → 203); numerals inside names stay (五一路, 十里铺, 千户苗寨);
4. synonyms: 栋/幢/座/号楼/# → 栋, 户/号 after a building or unit → 室, 楼/F after a unit → 层,
   负一层/地下一层/B1层 → 地下1层, 3-2-1203 → 3栋2单元1203室, 18之1号/18附1号 → 18-1号.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from contracts import divisions

_DIGITS = {
    "零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
    "六": 6, "七": 7, "八": 8, "九": 9, "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5,
    "陆": 6, "柒": 7, "捌": 8, "玖": 9,
}  # fmt: skip
_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000, "万": 10000}
_NUMERAL_RUN = re.compile(f"[{''.join(_DIGITS)}{''.join(_UNITS)}]+")
#: Component markers after which (or before which) a numeral is a number, not part of a name.
_MARKERS = tuple("号楼 号院 单元 门面 号 栋 幢 座 楼 层 室 户 组 巷 弄 期 排 区".split())
_MARKER_BEFORE = re.compile(r"(?:单元|栋|幢|座|号|层|楼|室|-|#)$")
_PUNCTUATION = re.compile(r"[\s,，、。.·:：;；\"'“”‘’/\\|~_*]+")
_BRACKETED = re.compile(r"[(（\[【〔<《][^)）\]】〕>》]*[)）\]】〕>》]")
_DASHES = str.maketrans({"－": "-", "—": "-", "–": "-", "‐": "-", "―": "-", "~": "-", "～": "-"})
_ROAD_START = tuple("路街巷道弄里村大")


def to_halfwidth(text: str) -> str:
    """Full-width ASCII (ＡＢＣ１２３＃) and the ideographic space → half-width."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0xFF01 <= code <= 0xFF5E:
            out.append(chr(code - 0xFEE0))
        elif code == 0x3000:
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out).translate(_DASHES)


def parse_chinese_number(numeral: str) -> int:
    """Value of a Chinese numeral: positional (一千二百零三 → 1203, 十二 → 12) or digit by digit
    (二〇三 → 203).  ValueError when the text is not a numeral."""
    if not numeral or any(ch not in _DIGITS and ch not in _UNITS for ch in numeral):
        raise ValueError(f"不是中文数字 / not a Chinese numeral: {numeral!r}")
    if not any(ch in _UNITS for ch in numeral):
        return int("".join(str(_DIGITS[ch]) for ch in numeral))
    total = section = number = 0
    for ch in numeral:
        if ch in _DIGITS:
            number = _DIGITS[ch]
        elif _UNITS[ch] == 10000:
            total += (section + number) * 10000
            section = number = 0
        else:
            section += (number or 1) * _UNITS[ch]
            number = 0
    return total + section + number


def chinese_numerals_to_digits(text: str) -> str:
    """Replace the numerals that number an address component (see module docstring)."""

    def replace(match: re.Match[str]) -> str:
        run = match.group(0)
        if not any(ch in _DIGITS or ch in "十拾" for ch in run):
            return run  # 千户, 百货, 万达: a unit word alone is not a number here
        after = text[match.end() :]
        before = text[: match.start()]
        followed = after.startswith(_MARKERS)
        standalone = not after or not ("\u4e00" <= after[0] <= "\u9fff")
        if followed or (standalone and (not before or _MARKER_BEFORE.search(before))):
            return str(parse_chinese_number(run))
        return run

    return _NUMERAL_RUN.sub(replace, text)


_SYNONYMS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"([0-9A-Z]+)(?:号楼|#楼|#|幢|座|栋)", r"\1栋"),
        (r"(?:负|地下)(\d+)(?:层|楼)?", r"地下\1层"),
        (r"B(\d+)(?:层|楼)", r"地下\1层"),
        (r"(?<![0-9A-Z])-(\d+)(?:层|楼)", r"地下\1层"),
        (r"(\d+)(?:之|附)(\d+)号", r"\1-\2号"),
        (r"(\d+)号(?:附|之)(\d+)号?", r"\1-\2号"),
        (r"(^|号)([0-9A-Z]+)-(\d+)-([A-Z]?\d+)(?:室|号|户)?$", r"\1\2栋\3单元\4室"),
        (r"(栋)(\d+)-([A-Z]?\d+)(?:室|号|户)?$", r"\1\2单元\3室"),
        (r"(栋|单元)(\d+)(?:楼|F)(?=\d|$)", r"\1\2层"),
        (r"(\d+)F(?=\d|$)", r"\1层"),
        (r"(栋|单元|层)([A-Z]?\d+(?:-\d+)?)(?:号|户)?$", r"\1\2室"),
        (r"(栋|单元|层)([A-Z]?\d+(?:-\d+)?)(?:号|户)", r"\1\2室"),
    )
)


def canonical_synonyms(text: str) -> str:
    """Apply the synonym rules of step 4 (input already half-width with digits)."""
    for pattern, replacement in _SYNONYMS:
        text = pattern.sub(replacement, text)
    return text


def basic(text: str) -> str:
    """Step 1 only: half-width, upper-case, no bracketed remarks, no punctuation or spaces."""
    text = to_halfwidth(text).upper()
    text = _BRACKETED.sub("", text)
    return _PUNCTUATION.sub("", text)


def clean(text: str) -> str:
    """Steps 1, 3 and 4 (no division stripping): the canonical spelling of any address fragment."""
    return canonical_synonyms(chinese_numerals_to_digits(basic(text)))


@dataclass(frozen=True, slots=True)
class DivisionPrefix:
    """Result of :func:`strip_division_prefix`: the most specific division recognised (None when
    none or ambiguous), the text it covered and what follows."""

    code: str | None
    matched: str
    rest: str


def _related(code: str, scope: str) -> bool:
    return code.startswith(scope) or scope.startswith(code)


def strip_division_prefix(text: str, scope: str | None = None) -> DivisionPrefix:
    """Remove leading division names (云南省红河州蒙自市文澜街道…, 云南红河蒙自…).

    Greedy, longest name first, each next name a descendant of the previous one.  A bare stem
    (云南, 蒙自) is accepted only when another division name follows it or it agrees with
    ``scope`` (a division code the caller already knows), and never right before 路/街/巷/道…
    (红河路 keeps its name).  Ambiguous names (城关镇) are stripped but give no code.
    """
    registry = divisions.registry()
    aliases = registry.aliases
    scope_key = registry.normalize_code(scope) if scope else None
    pos, anchor, code = 0, None, None
    steps: list[tuple[int, bool]] = []  # (end position, weak)
    while pos < len(text):
        found = None
        for length in range(min(24, len(text) - pos), 1, -1):
            cands = aliases.get(text[pos : pos + length])
            if not cands:
                continue
            end = pos + length
            ok = [(c, weak) for c, weak in cands if anchor is None or (c.startswith(anchor) and c != anchor)]
            ok = [(c, weak) for c, weak in ok if not (weak and text[end:].startswith(_ROAD_START))]
            if scope_key and any(_related(c, scope_key) for c, _ in ok):
                ok = [(c, weak) for c, weak in ok if _related(c, scope_key)]
            if ok:
                found = (end, ok)
                break
        if found is None:
            break
        end, ok = found
        current = [(c, w) for c, w in ok if registry.is_current(c)] or ok
        codes = sorted({c for c, _ in current}, key=lambda c: (len(c), c))
        if all(c.startswith(codes[0]) for c in codes):
            codes = codes[:1]  # 红河 = 红河州 and its 红河县: take the prefecture, the county may follow
        steps.append((end, all(w for _, w in current)))
        pos = end
        if len(codes) > 1:
            break  # ambiguous (城关镇): stripped, but no code and no further descent
        code = codes[0]
        resolved = registry.resolve(code)
        anchor = resolved.code if resolved else code
    if len(steps) == 1 and steps[0][1] and not (scope_key and code and _related(code, scope_key)):
        return DivisionPrefix(None, "", text)
    if not steps:
        return DivisionPrefix(None, "", text)
    return DivisionPrefix(code, text[:pos], text[pos:])


def split_division(text: str, scope: str | None = None) -> tuple[DivisionPrefix, str]:
    """The division prefix of ``text`` and the canonical rest (names are matched before numerals are
    converted, so that 二七区 is still recognised)."""
    prefix = strip_division_prefix(basic(text), scope)
    return prefix, canonical_synonyms(chinese_numerals_to_digits(prefix.rest))


def normalize(text: str, strip_divisions: bool = True, scope: str | None = None) -> str:
    """Canonical text of an address: steps 1–3 and, by default, the division prefix stripped."""
    if not strip_divisions:
        return clean(text)
    return split_division(text, scope)[1]
