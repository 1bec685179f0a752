"""Retrain the address parser (an ensemble of BiLSTM-CRF taggers, see ``model.py``).

    python -m services.address.offline.train_parser [CORPUS_DIR] [--divisions DIR] [--out FILE]
        [--seeds N] [--epochs N] [--final-data {train,train+dev}]

Needs PyTorch (training only; the service runs the model with numpy). CORPUS_DIR holds
train.txt and dev.txt (default: ../shared/data/address-corpus relative to the repository root).

1. gazetteer.json.gz is rebuilt from the division CSVs when --divisions (default
   ../shared/data/divisions) exists; otherwise the shipped gazetteer is kept.
2. The ensemble is trained on train.txt with a fixed recipe (no early stopping on dev) and its
   span-level P/R/F1 on dev.txt is printed: this is the held-out figure.
3. With --final-data train+dev (the default) the same recipe is rerun on train.txt + dev.txt
   and that ensemble is written to --out; with --final-data train the train-only ensemble is
   written. The dev figure of step 2 is the one to quote: the final model has seen dev.

With the defaults (4 members, 2 in parallel) the whole command takes about 15 minutes on 2
cores (train-only ensemble ~6 min, final ensemble ~8.5 min) and prints dev F1 ~0.90; reruns
differ by a tenth of a point or so (torch training is not bit-reproducible across processes).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections import Counter
from pathlib import Path

from services.address.text.parsing.corpus import Sentence, chunks_from_tags, read_bio, retokenize
from services.address.text.parsing.evaluate import DEFAULT_CORPUS_DIR, format_report, score
from services.address.text.parsing.features import FeatureExtractor
from services.address.text.parsing.gazetteer import DEFAULT_DIVISIONS_DIR, GAZETTEER_PATH, Gazetteer, build
from services.address.text.parsing.model import EnsembleTagger, Vocab, token_inputs
from services.address.text.parsing.parser import MODEL_PATH

HPARAMS = {
    "char_dim": 100,
    "bigram_dim": 50,
    "feat_dim": 64,
    "hidden": 150,
    "dropout": 0.4,
    "lr": 2e-3,
    "batch_size": 32,
    "epochs": 12,
    "decay_epoch": 8,  # learning rate x0.3 from this epoch on
    "min_bigram_count": 2,
    "min_feat_count": 2,
}


def build_vocab(data: list[tuple], tags: list[str]) -> Vocab:
    cc: Counter[str] = Counter()
    bc: Counter[str] = Counter()
    fc: Counter[str] = Counter()
    for (W, left, right, F), _ in data:
        cc.update(W)
        bc.update(left)
        bc.update(right)
        for fs in F:
            fc.update(fs)
    return Vocab(
        sorted(cc),
        sorted(b for b, c in bc.items() if c >= HPARAMS["min_bigram_count"]),
        sorted(f for f, c in fc.items() if c >= HPARAMS["min_feat_count"]),
        tags,
    )


def _torch_model(vocab: Vocab):
    import torch
    from torch import nn

    class CRF(nn.Module):
        def __init__(self, T: int):
            super().__init__()
            self.trans = nn.Parameter(torch.zeros(T, T))
            self.start = nn.Parameter(torch.zeros(T))
            self.end = nn.Parameter(torch.zeros(T))

        def nll(self, em, y, mask):
            B, L, T = em.shape
            gold = self.start[y[:, 0]] + em[:, 0].gather(1, y[:, :1]).squeeze(1)
            for t in range(1, L):
                step = self.trans[y[:, t - 1], y[:, t]] + em[:, t].gather(1, y[:, t : t + 1]).squeeze(1)
                gold = gold + step * mask[:, t]
            lens = mask.sum(1)
            gold = gold + self.end[y.gather(1, (lens - 1).unsqueeze(1)).squeeze(1)]
            alpha = self.start + em[:, 0]
            for t in range(1, L):
                nxt = torch.logsumexp(alpha.unsqueeze(2) + self.trans.unsqueeze(0), dim=1) + em[:, t]
                alpha = torch.where(mask[:, t].unsqueeze(1), nxt, alpha)
            return (torch.logsumexp(alpha + self.end, 1) - gold).sum()

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            h = HPARAMS
            self.char_emb = nn.Embedding(len(vocab.chars) + 1, h["char_dim"], padding_idx=0)
            self.bigram_emb = nn.Embedding(len(vocab.bigrams) + 1, h["bigram_dim"], padding_idx=0)
            self.feat_emb = nn.EmbeddingBag(len(vocab.feats) + 1, h["feat_dim"], mode="sum", padding_idx=0)
            self.drop = nn.Dropout(h["dropout"])
            in_dim = h["char_dim"] + 2 * h["bigram_dim"] + h["feat_dim"]
            self.lstm = nn.LSTM(in_dim, h["hidden"], batch_first=True, bidirectional=True)
            self.out = nn.Linear(2 * h["hidden"], len(vocab.tags))
            self.crf = CRF(len(vocab.tags))

        def loss(self, batch):
            B = len(batch)
            L = max(len(x[0]) for x in batch)
            lens = torch.tensor([len(x[0]) for x in batch])

            def pad(k):
                t = torch.zeros(B, L, dtype=torch.long)
                for i, x in enumerate(batch):
                    t[i, : len(x[k])] = torch.tensor(x[k])
                return t

            flat: list[int] = []
            offsets: list[int] = []
            for x in batch:
                for j in range(L):
                    offsets.append(len(flat))
                    if j < len(x[3]):
                        flat.extend(x[3][j])
            feats = self.feat_emb(
                torch.tensor(flat or [0], dtype=torch.long), torch.tensor(offsets, dtype=torch.long)
            ).view(B, L, -1)
            x = torch.cat([self.char_emb(pad(0)), self.bigram_emb(pad(1)), self.bigram_emb(pad(2)), feats], -1)
            packed = nn.utils.rnn.pack_padded_sequence(self.drop(x), lens, batch_first=True, enforce_sorted=False)
            o, _ = self.lstm(packed)
            o, _ = nn.utils.rnn.pad_packed_sequence(o, batch_first=True, total_length=L)
            em = self.out(self.drop(o))
            mask = torch.arange(L).unsqueeze(0) < lens.unsqueeze(1)
            return self.crf.nll(em, pad(4), mask)

    return Net()


def train_member(encoded: list[tuple], vocab: Vocab, seed: int, log=print) -> dict:
    import numpy as np
    import torch

    torch.manual_seed(seed)
    rng = random.Random(seed)
    net = _torch_model(vocab)
    opt = torch.optim.Adam(net.parameters(), lr=HPARAMS["lr"])
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i][0]))
    bs = HPARAMS["batch_size"]
    net.train()
    for epoch in range(HPARAMS["epochs"]):
        if epoch == HPARAMS["decay_epoch"]:
            for g in opt.param_groups:
                g["lr"] *= 0.3
        t0 = time.perf_counter()
        batches = [order[i : i + bs] for i in range(0, len(order), bs)]
        rng.shuffle(batches)
        total = 0.0
        for b in batches:
            batch = [encoded[i] for i in b]
            opt.zero_grad()
            loss = net.loss(batch)
            (loss / len(batch)).backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
            opt.step()
            total += loss.item()
        log(f"  seed {seed} epoch {epoch + 1}/{HPARAMS['epochs']}: loss {total:.0f} ({time.perf_counter() - t0:.0f} s)")
    state = {k: v.detach().cpu().numpy().astype(np.float32) for k, v in net.state_dict().items()}
    return state


def _worker(args: tuple) -> dict:
    encoded, vocab, seed, hparams, threads = args
    import torch

    torch.set_num_threads(threads)
    HPARAMS.update(hparams)
    return train_member(encoded, vocab, seed, log=lambda m: print(m, flush=True))


def train_ensemble(sents: list[Sentence], fx: FeatureExtractor, seeds: list[int], log=print,
                   jobs: int = 1, threads: int = 1) -> tuple[Vocab, list[dict]]:
    data = [(token_inputs([t for t, _ in s], fx), [g for _, g in s]) for s in sents]
    tags = sorted({g for _, gs in data for g in gs})
    vocab = build_vocab(data, tags)
    encoded = [(*vocab.encode(inp), [vocab.tag_ix[g] for g in gs]) for inp, gs in data]
    log(f"vocab: {len(vocab.chars)} tokens, {len(vocab.bigrams)} bigrams, {len(vocab.feats)} features, {len(tags)} tags")
    if jobs <= 1:
        return vocab, [train_member(encoded, vocab, seed, log) for seed in seeds]
    import multiprocessing as mp

    with mp.get_context("spawn").Pool(min(jobs, len(seeds))) as pool:
        members = pool.map(_worker, [(encoded, vocab, seed, dict(HPARAMS), threads) for seed in seeds], chunksize=1)
    return vocab, members


def evaluate_tagger(tagger: EnsembleTagger, sents: list[Sentence], fx: FeatureExtractor) -> dict:
    gold, pred = [], []
    for s in sents:
        toks = [t for t, _ in s]
        gold.append(chunks_from_tags([g for _, g in s]))
        pred.append(chunks_from_tags(tagger.tag(token_inputs(toks, fx))))
    return score(gold, pred)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus_dir", nargs="?", default=str(DEFAULT_CORPUS_DIR))
    ap.add_argument("--divisions", default=str(DEFAULT_DIVISIONS_DIR))
    ap.add_argument("--out", default=str(MODEL_PATH))
    ap.add_argument("--seeds", type=int, default=4, help="ensemble size")
    ap.add_argument("--epochs", type=int, default=HPARAMS["epochs"])
    ap.add_argument("--final-data", choices=("train", "train+dev"), default="train+dev")
    # Members are trained in parallel processes of one thread each: on a shared 2-core machine
    # torch's OpenMP threads slow down by an order of magnitude whenever another process
    # competes for the cores, one thread per process is steady.
    ap.add_argument("--jobs", type=int, default=2, help="members trained in parallel (processes)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads per process")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    HPARAMS["epochs"] = args.epochs
    HPARAMS["decay_epoch"] = min(HPARAMS["decay_epoch"], args.epochs)
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
    print(f"train: {len(train)} addresses, dev: {len(dev)} addresses; hyper-parameters: {HPARAMS}")
    seeds = list(range(1, args.seeds + 1))
    out = Path(args.out)

    t0 = time.perf_counter()
    vocab, members = train_ensemble(train, fx, seeds, jobs=args.jobs, threads=args.threads)
    print(f"trained on train.txt in {time.perf_counter() - t0:.0f} s")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train_only.bin"
        EnsembleTagger.save(path, vocab, members)
        tagger = EnsembleTagger.load(path)
        print("dev.txt, ensemble trained on train.txt only (held-out figure):")
        print(format_report(evaluate_tagger(tagger, dev, fx)))
        if args.final_data == "train":
            out.write_bytes(path.read_bytes())
    if args.final_data == "train+dev":
        t0 = time.perf_counter()
        vocab, members = train_ensemble(train + dev, fx, seeds, jobs=args.jobs, threads=args.threads)
        print(f"trained the final ensemble on train.txt + dev.txt in {time.perf_counter() - t0:.0f} s")
        EnsembleTagger.save(out, vocab, members)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
