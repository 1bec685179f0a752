"""Span-level (conlleval-style) scoring of the address parser on a BIO file.

    python -m services.address.text.parsing.evaluate [path/to/dev.txt]

A chunk counts as correct only when its label and its exact character span both match the
gold chunk. Chunks are compared as character spans of the concatenated address text, which
for the corpus tokenisation is the same thing as conlleval's token spans.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from .corpus import Sentence, char_chunks, read_bio

REPO_ROOT = Path(__file__).resolve().parents[4]
DEFAULT_CORPUS_DIR = REPO_ROOT.parent / "shared" / "data" / "address-corpus"


def score(gold: list[list[tuple[str, int, int]]], pred: list[list[tuple[str, int, int]]]) -> dict:
    tp: Counter[str] = Counter()
    ng: Counter[str] = Counter()
    np_: Counter[str] = Counter()
    for g, p in zip(gold, pred, strict=True):
        gs, ps = set(g), set(p)
        for lab, _, _ in gs:
            ng[lab] += 1
        for lab, _, _ in ps:
            np_[lab] += 1
        for lab, _, _ in gs & ps:
            tp[lab] += 1

    def prf(t: int, p: int, g: int) -> dict:
        prec = t / p if p else 0.0
        rec = t / g if g else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        return {"precision": prec, "recall": rec, "f1": f1, "tp": t, "pred": p, "gold": g}

    labels = sorted(set(ng) | set(np_))
    return {
        "overall": prf(sum(tp.values()), sum(np_.values()), sum(ng.values())),
        "per_label": {lab: prf(tp[lab], np_[lab], ng[lab]) for lab in labels},
    }


def format_report(res: dict) -> str:
    o = res["overall"]
    lines = [
        "processed %d gold chunks; found: %d; correct: %d." % (o["gold"], o["pred"], o["tp"]),
        "%-12s precision: %6.2f%%; recall: %6.2f%%; FB1: %6.2f"
        % ("overall", 100 * o["precision"], 100 * o["recall"], 100 * o["f1"]),
    ]
    for lab, r in res["per_label"].items():
        lines.append(
            "%-12s precision: %6.2f%%; recall: %6.2f%%; FB1: %6.2f  gold %5d  pred %5d"
            % (lab, 100 * r["precision"], 100 * r["recall"], 100 * r["f1"], r["gold"], r["pred"])
        )
    return "\n".join(lines)


def evaluate_sentences(sents: list[Sentence], parse_fn) -> tuple[dict, list[float]]:
    """Parse the raw text of every address with ``parse_fn`` and score it against the gold chunks."""
    gold, pred, times = [], [], []
    for s in sents:
        text = "".join(t for t, _ in s)
        t0 = time.perf_counter()
        chunks = parse_fn(text)
        times.append(time.perf_counter() - t0)
        gold.append(char_chunks(s))
        pred.append([(c.label, c.start, c.end) for c in chunks])
    return score(gold, pred), times


def main(argv: list[str] | None = None) -> None:
    from .parser import load_parser

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path", nargs="?", default=str(DEFAULT_CORPUS_DIR / "dev.txt"))
    ap.add_argument("--model", default=None, help="model file (default: the shipped one)")
    args = ap.parse_args(argv)
    path = Path(args.path)
    if not path.exists():
        raise SystemExit(f"corpus file not found: {path}")
    sents = read_bio(path)
    parser = load_parser(args.model) if args.model else load_parser()
    t0 = time.perf_counter()
    res, times = evaluate_sentences(sents, parser.parse)
    wall = time.perf_counter() - t0
    times.sort()
    print(f"{path} ({len(sents)} addresses)")
    print(format_report(res))
    print(
        "latency per address: median %.3f ms, p95 %.3f ms, max %.3f ms; total %.1f s"
        % (1000 * times[len(times) // 2], 1000 * times[int(len(times) * 0.95)], 1000 * times[-1], wall)
    )


if __name__ == "__main__":
    main()
