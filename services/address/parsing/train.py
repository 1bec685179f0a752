"""Retrain the address parser's CRF model.

    python -m services.address.parsing.train [CORPUS_DIR] [--divisions DIR] [--out FILE]
        [--c1 C1] [--c2 C2] [--iterations N] [--train-only]

CORPUS_DIR holds train.txt and dev.txt (default: ../shared/data/address-corpus relative to the
repository root). The command

1. rebuilds gazetteer.json.gz from the division CSVs when --divisions (default
   ../shared/data/divisions) exists, otherwise keeps the shipped gazetteer;
2. trains a CRF on train.txt and prints its span-level P/R/F1 on dev.txt (the honest,
   held-out figure);
3. unless --train-only is given, trains the final model on train.txt + dev.txt with the same
   settings and writes it to --out (default: the shipped model.crfsuite). The dev figure of
   step 2 is the one to quote; the final model has seen dev.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from .corpus import Sentence, chunks_from_tags, read_bio, retokenize
from .evaluate import DEFAULT_CORPUS_DIR, format_report, score
from .features import FeatureExtractor
from .gazetteer import DEFAULT_DIVISIONS_DIR, GAZETTEER_PATH, Gazetteer, build
from .parser import MODEL_PATH

DEFAULT_PARAMS = {"c1": 0.05, "c2": 0.01, "iterations": 300}


def train_crf(sents: list[Sentence], fx: FeatureExtractor, model_file: str, c1: float, c2: float,
              iterations: int, verbose: bool = False) -> None:
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=verbose)
    for s in sents:
        trainer.append(fx.sentence([t for t, _ in s]), [g for _, g in s])
    trainer.set_params(
        {
            "c1": c1,
            "c2": c2,
            "max_iterations": iterations,
            "feature.possible_transitions": True,
        }
    )
    trainer.train(model_file)


def evaluate_crf(sents: list[Sentence], fx: FeatureExtractor, model_file: str) -> dict:
    import pycrfsuite

    tagger = pycrfsuite.Tagger()
    tagger.open(model_file)
    gold, pred = [], []
    for s in sents:
        toks = [t for t, _ in s]
        gold.append(chunks_from_tags([g for _, g in s]))
        pred.append(chunks_from_tags(tagger.tag(fx.sentence(toks))))
    tagger.close()
    return score(gold, pred)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus_dir", nargs="?", default=str(DEFAULT_CORPUS_DIR))
    ap.add_argument("--divisions", default=str(DEFAULT_DIVISIONS_DIR))
    ap.add_argument("--out", default=str(MODEL_PATH))
    ap.add_argument("--c1", type=float, default=DEFAULT_PARAMS["c1"])
    ap.add_argument("--c2", type=float, default=DEFAULT_PARAMS["c2"])
    ap.add_argument("--iterations", type=int, default=DEFAULT_PARAMS["iterations"])
    ap.add_argument("--train-only", action="store_true", help="ship the model trained on train.txt alone")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)

    corpus = Path(args.corpus_dir)
    for name in ("train.txt", "dev.txt"):
        if not (corpus / name).exists():
            raise SystemExit(f"missing {corpus / name}")
    if Path(args.divisions).is_dir():
        print(f"gazetteer: rebuilt {build(args.divisions)} from {args.divisions}")
    else:
        print(f"gazetteer: {args.divisions} not found, keeping {GAZETTEER_PATH}")
    fx = FeatureExtractor(Gazetteer.load(GAZETTEER_PATH))

    train = [retokenize(s) for s in read_bio(corpus / "train.txt")]
    dev = [retokenize(s) for s in read_bio(corpus / "dev.txt")]
    print(f"train: {len(train)} addresses, dev: {len(dev)} addresses")
    params = dict(c1=args.c1, c2=args.c2, iterations=args.iterations, verbose=args.verbose)

    with tempfile.TemporaryDirectory() as tmp:
        train_only = os.path.join(tmp, "train_only.crfsuite")
        t0 = time.perf_counter()
        train_crf(train, fx, train_only, **params)
        print(f"trained on train.txt in {time.perf_counter() - t0:.0f} s")
        res = evaluate_crf(dev, fx, train_only)
        print("dev.txt, model trained on train.txt only (held-out figure):")
        print(format_report(res))
        out = Path(args.out)
        if args.train_only:
            shutil.copyfile(train_only, out)
        else:
            final = os.path.join(tmp, "final.crfsuite")
            t0 = time.perf_counter()
            train_crf(train + dev, fx, final, **params)
            print(f"trained the final model on train.txt + dev.txt in {time.perf_counter() - t0:.0f} s")
            shutil.copyfile(final, out)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
