"""Token features of the address tagger.

Originally designed for a CRF (python-crfsuite), which reached 88.3 dev F1 with all of them;
the shipped BiLSTM-CRF embeds the token and its bigrams itself and takes the rest (shape,
gazetteer, key-word distance, repeated-segment and position features) as a bag of sparse
features, see ``model.sparse_features``.
"""

from __future__ import annotations

from collections import defaultdict

from .gazetteer import Gazetteer

CN_NUMERALS = set("零〇一二三四五六七八九十百千两壹贰叁肆伍陆柒捌玖拾")

# Address key words: the tagger is told how far the next / previous one is.
KEY_WORDS = (
    "省", "市", "区", "县", "镇", "乡", "村", "街道", "社区", "开发区", "园区", "工业区",
    "路", "街", "大道", "道", "巷", "弄", "里", "组", "号", "栋", "幢", "座", "单元", "室", "层", "楼",
    "小区", "花园", "大厦", "广场", "公寓", "苑", "园", "城", "中心", "市场", "大楼", "新村",
    "公司", "店", "厂", "-", "附近", "旁", "对面", "门口", "内",
)
_KEY_BY_FIRST: dict[str, list[str]] = defaultdict(list)
for _w in KEY_WORDS:
    _KEY_BY_FIRST[_w[0]].append(_w)
for _v in _KEY_BY_FIRST.values():
    _v.sort(key=len, reverse=True)


def shape(tok: str) -> str:
    c = tok[0]
    if c.isdigit() and c.isascii():
        return "D"
    if c.isascii() and c.isalpha():
        return "A"
    if c in CN_NUMERALS:
        return "N"
    if "\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf":
        return "H"
    return "P"


def word(tok: str) -> str:
    """Representation of a token for n-gram features: digits by length, short letter runs lower-cased."""
    c = tok[0]
    if c.isascii() and c.isdigit():
        return "<D%d>" % min(len(tok), 5)
    if c.isascii() and c.isalpha():
        return tok.lower() if len(tok) <= 3 else "<A>"
    return tok


def _bucket(d: int) -> str:
    if d <= 3:
        return str(d)
    if d <= 5:
        return "4-5"
    if d <= 8:
        return "6-8"
    return "9+"


class FeatureExtractor:
    """Per-token feature strings: n-grams, shapes, gazetteer matches, key-word distances, repeats."""

    def __init__(self, gazetteer: Gazetteer | None = None, repeats: bool = True):
        self.gazetteer = gazetteer
        self.repeats = repeats

    def __call__(self, toks: list[str]) -> list[list[str]]:
        return self.sentence(toks)

    def sentence(self, toks: list[str]) -> list[list[str]]:
        n = len(toks)
        if n == 0:
            return []
        W = ["<S>", "<S>", "<S>"] + [word(t) for t in toks] + ["</S>", "</S>", "</S>"]
        S = ["^", "^"] + [shape(t) for t in toks] + ["$", "$"]
        gaz = self.gazetteer.match(toks) if self.gazetteer else [[] for _ in toks]

        # key-word positions (start index -> word)
        keys_at: list[list[str]] = [[] for _ in range(n)]
        for i, t in enumerate(toks):
            for kw in _KEY_BY_FIRST.get(t[0] if len(t) == 1 else "", ()):
                if "".join(toks[i : i + len(kw)]) == kw:
                    keys_at[i].append(kw)
        next_key: list[dict[str, int]] = [dict() for _ in range(n)]
        seen: dict[str, int] = {}
        for i in range(n - 1, -1, -1):
            next_key[i] = dict(seen)
            for kw in keys_at[i]:
                seen[kw] = i
        prev_key: list[dict[str, int]] = [dict() for _ in range(n)]
        seen = {}
        for i in range(n):
            prev_key[i] = dict(seen)
            for kw in keys_at[i]:
                seen[kw] = i

        # repeated n-grams (redundant repetitions of "浙江省杭州市" etc.)
        tri_pos: dict[str, list[int]] = defaultdict(list)
        for i in range(n - 2):
            tri_pos["".join(toks[i : i + 3])].append(i)
        rep = _repeats(toks) if self.repeats else [[] for _ in toks]

        feats: list[list[str]] = []
        for i in range(n):
            p = i + 3
            w0 = W[p]
            f = [
                "b",
                "w0=" + w0,
                "w-1=" + W[p - 1],
                "w+1=" + W[p + 1],
                "w-2=" + W[p - 2],
                "w+2=" + W[p + 2],
                "w-3=" + W[p - 3],
                "w+3=" + W[p + 3],
                "w-2-1=" + W[p - 2] + W[p - 1],
                "w-10=" + W[p - 1] + w0,
                "w0+1=" + w0 + W[p + 1],
                "w+1+2=" + W[p + 1] + W[p + 2],
                "w-3-2=" + W[p - 3] + W[p - 2],
                "w+2+3=" + W[p + 2] + W[p + 3],
                "w-2-10=" + W[p - 2] + W[p - 1] + w0,
                "w-10+1=" + W[p - 1] + w0 + W[p + 1],
                "w0+1+2=" + w0 + W[p + 1] + W[p + 2],
                "w-1+1=" + W[p - 1] + "_" + W[p + 1],
            ]
            q = i + 2
            f.append("s0=" + S[q])
            f.append("s-10+1=" + S[q - 1] + S[q] + S[q + 1])
            f.append("s-2..+2=" + "".join(S[q - 2 : q + 3]))
            f.append("s0w+1=" + S[q] + W[p + 1])
            f.append("w-1s0=" + W[p - 1] + S[q])
            if S[q] == "D":
                f.append("dw+1w+2=" + W[p + 1] + W[p + 2])
                f.append("dw-1=" + W[p - 1])
            f.append("fromstart=" + _bucket(i))
            f.append("toend=" + _bucket(n - 1 - i))
            for g in gaz[i]:
                f.append("g0=" + g)
            for g in gaz[i - 1] if i > 0 else ("<S>",):
                f.append("g-1=" + g)
            for g in gaz[i + 1] if i + 1 < n else ("</S>",):
                f.append("g+1=" + g)
            for kw, j in next_key[i].items():
                d = j - i
                if d <= 8:
                    f.append("nk%s=%d" % (kw, d))
            for kw, j in prev_key[i].items():
                d = i - j
                if d <= 6:
                    f.append("pk%s=%d" % (kw, d))
            for kw in ("路", "号", "区", "市", "镇", "街道", "村"):
                if kw in prev_key[i]:
                    f.append("seen" + kw)
            for start in (i - 2, i - 1, i):
                if 0 <= start <= n - 3:
                    occ = tri_pos["".join(toks[start : start + 3])]
                    if len(occ) > 1:
                        if occ[0] < start:
                            f.append("rep_prev%d" % (i - start))
                        if occ[-1] > start:
                            f.append("rep_next%d" % (i - start))
            f.extend(rep[i])
            feats.append(f)
        return feats


def _repeats(toks: list[str]) -> list[list[str]]:
    """Mark maximal repeated segments (length >= 2): first / later copy, length, adjacency."""
    n = len(toks)
    out: list[set[str]] = [set() for _ in range(n)]
    # lce[i][j]: length of the common run starting at i and j
    lce = [[0] * (n + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(n - 1, i, -1):
            if toks[i] == toks[j]:
                lce[i][j] = lce[i + 1][j + 1] + 1
    # Longer than any corpus address (71 tokens): only look for copies at most 24 tokens apart,
    # which keeps pathological inputs ("北京市" x 100) cheap.
    span = n if n <= 80 else 24
    for i in range(n):
        for j in range(i + 1, min(n, i + span + 1)):
            L = min(lce[i][j], j - i)
            if L < 2 or (i > 0 and toks[i - 1] == toks[j - 1]):
                continue
            lb = "2" if L == 2 else ("3" if L == 3 else ("4-6" if L <= 6 else "7+"))
            gap = j - (i + L)
            gb = "0" if gap == 0 else ("1" if gap == 1 else ("2-4" if gap <= 4 else "5+"))
            for k in range(L):
                pos = "B" if k == 0 else ("E" if k == L - 1 else "I")
                out[i + k].update(("r1" + pos, "r1L" + lb, "r1g" + gb, "r1toend" + _bucket(n - (j + L))))
                out[j + k].update(("r2" + pos, "r2L" + lb, "r2g" + gb, "r2toend" + _bucket(n - (j + L))))
    return [sorted(o) for o in out]
