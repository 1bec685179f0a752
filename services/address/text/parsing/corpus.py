"""Reading the BIO address corpus (one token + tag a line, blank line between addresses)."""

from __future__ import annotations

from pathlib import Path

from .text import split_corpus_token

Sentence = list[tuple[str, str]]  # (corpus token, tag)


def read_bio(path: str | Path) -> list[Sentence]:
    sents: list[Sentence] = []
    cur: Sentence = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line.strip():
                if cur:
                    sents.append(cur)
                    cur = []
                continue
            tok, tag = line.rsplit(" ", 1)
            cur.append((tok, normalize_tag(tag)))
    if cur:
        sents.append(cur)
    return sents


def normalize_tag(tag: str) -> str:
    if tag == "O" or len(tag) < 3:
        return tag
    return tag[:2] + tag[2:].lower()


def retokenize(sent: Sentence) -> Sentence:
    """Split corpus tokens into model tokens; the first piece keeps the tag, the rest get I-."""
    out: Sentence = []
    for tok, tag in sent:
        pieces = split_corpus_token(tok)
        out.append((pieces[0], tag))
        inside = "I-" + tag[2:] if tag != "O" else "O"
        for p in pieces[1:]:
            out.append((p, inside))
    return out


def chunks_from_tags(tags: list[str]) -> list[tuple[str, int, int]]:
    """conlleval-style chunks (label, start, end) over token indices, end exclusive."""
    chunks: list[tuple[str, int, int]] = []
    label = None
    start = 0
    for i, tag in enumerate(tags):
        if tag == "O":
            if label is not None:
                chunks.append((label, start, i))
                label = None
            continue
        prefix, typ = tag[:1], tag[2:]
        if prefix == "B" or typ != label:
            if label is not None:
                chunks.append((label, start, i))
            label, start = typ, i
    if label is not None:
        chunks.append((label, start, len(tags)))
    return chunks


def char_chunks(sent: Sentence) -> list[tuple[str, int, int]]:
    """Gold chunks as (label, char start, char end) in the concatenated address text."""
    offs = [0]
    for tok, _ in sent:
        offs.append(offs[-1] + len(tok))
    return [(lab, offs[s], offs[e]) for lab, s, e in chunks_from_tags([t for _, t in sent])]
