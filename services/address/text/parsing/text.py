"""Text normalisation and tokenisation shared by training and inference.

Tokens follow the corpus convention (see SOURCE.md of the address corpus): a run of ASCII
digits is one token, a run of ASCII letters is one token, and every other character is a
token of its own. Whitespace is skipped (it never appears inside corpus addresses) but the
offsets of every token point into the *original* string, so chunks can be cut out of the
caller's text unchanged. Full-width ASCII (ＡＢＣ１２３, ＃, －) is folded to half-width for the
model's features only.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Token", "normalize_char", "tokenize", "split_corpus_token"]


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # normalised form, fed to the features
    start: int  # offset into the original text (inclusive)
    end: int  # offset into the original text (exclusive)


def normalize_char(ch: str) -> str:
    """Fold full-width ASCII variants (U+FF01..U+FF5E) and the ideographic space to ASCII."""
    o = ord(ch)
    if 0xFF01 <= o <= 0xFF5E:
        return chr(o - 0xFEE0)
    if o == 0x3000:
        return " "
    return ch


def _kind(ch: str) -> int:
    # 1: ASCII digit, 2: ASCII letter, 0: anything else
    if "0" <= ch <= "9":
        return 1
    if ("a" <= ch <= "z") or ("A" <= ch <= "Z"):
        return 2
    return 0


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into model tokens with offsets into ``text``."""
    tokens: list[Token] = []
    n = len(text)
    i = 0
    while i < n:
        ch = normalize_char(text[i])
        if ch.isspace():
            i += 1
            continue
        k = _kind(ch)
        if k == 0:
            tokens.append(Token(ch, i, i + 1))
            i += 1
            continue
        j = i + 1
        buf = [ch]
        while j < n:
            c2 = normalize_char(text[j])
            if _kind(c2) != k:
                break
            buf.append(c2)
            j += 1
        tokens.append(Token("".join(buf), i, j))
        i = j
    return tokens


def split_corpus_token(tok: str) -> list[str]:
    """Split one corpus token (e.g. "12-3") into model tokens ("12", "-", "3")."""
    return [t.text for t in tokenize(tok)] or [tok]
