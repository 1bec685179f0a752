"""The tagger: an ensemble of character BiLSTM-CRF models, run with numpy.

Each token is represented by the concatenation of
  * an embedding of the token itself (digits by length, short letter runs lower-cased, see
    ``features.word``),
  * embeddings of the bigrams it forms with its left and right neighbours,
  * the sum of embeddings of its sparse features (division-gazetteer matches, distance to
    address key words such as 路/号/室, repeated segments, shape and position; see
    ``features.FeatureExtractor``).
A one-layer BiLSTM reads the sequence, a linear layer gives per-tag scores and a linear-chain
CRF (transition scores) is decoded with Viterbi. Several models trained with different seeds
are combined by averaging their emission and transition scores.

Training (``train.py``) needs PyTorch; inference here only needs numpy. The model file is an
``np.savez_compressed`` archive (float16 weights) with the vocabularies stored as JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .features import FeatureExtractor, word

PAD = 0  # index 0 of every vocabulary: padding / unknown


def sparse_features(feats: list[str]) -> list[str]:
    """The non-n-gram features of a token (n-grams are covered by the embeddings and the BiLSTM)."""
    return [f for f in feats if f != "b" and not f.startswith("w")]


def token_inputs(tokens: list[str], fx: FeatureExtractor) -> tuple[list[str], list[str], list[str], list[list[str]]]:
    W = [word(t) for t in tokens]
    n = len(W)
    left = [("<S>" if i == 0 else W[i - 1]) + W[i] for i in range(n)]
    right = [W[i] + ("</S>" if i == n - 1 else W[i + 1]) for i in range(n)]
    return W, left, right, [sparse_features(f) for f in fx.sentence(tokens)]


class Vocab:
    def __init__(self, chars: list[str], bigrams: list[str], feats: list[str], tags: list[str]):
        self.chars, self.bigrams, self.feats, self.tags = chars, bigrams, feats, tags
        self.char_ix = {c: i + 1 for i, c in enumerate(chars)}
        self.bigram_ix = {b: i + 1 for i, b in enumerate(bigrams)}
        self.feat_ix = {f: i + 1 for i, f in enumerate(feats)}
        self.tag_ix = {t: i for i, t in enumerate(tags)}

    def to_json(self) -> str:
        return json.dumps(
            {"chars": self.chars, "bigrams": self.bigrams, "feats": self.feats, "tags": self.tags},
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, s: str) -> "Vocab":
        d = json.loads(s)
        return cls(d["chars"], d["bigrams"], d["feats"], d["tags"])

    def encode(self, inputs) -> tuple[list[int], list[int], list[int], list[list[int]]]:
        W, left, right, F = inputs
        return (
            [self.char_ix.get(w, PAD) for w in W],
            [self.bigram_ix.get(b, PAD) for b in left],
            [self.bigram_ix.get(b, PAD) for b in right],
            [[self.feat_ix[f] for f in fs if f in self.feat_ix] for fs in F],
        )


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


class _Member:
    """One BiLSTM-CRF's weights (float32), parameter names as in the torch module."""

    def __init__(self, p: dict[str, np.ndarray]):
        self.char_emb = p["char_emb.weight"]
        self.bigram_emb = p["bigram_emb.weight"]
        self.feat_emb = p["feat_emb.weight"]
        self.dirs = []
        for suffix in ("", "_reverse"):
            w_ih = p["lstm.weight_ih_l0" + suffix]
            w_hh = p["lstm.weight_hh_l0" + suffix]
            b = p["lstm.bias_ih_l0" + suffix] + p["lstm.bias_hh_l0" + suffix]
            self.dirs.append((w_ih.T.copy(), w_hh.T.copy(), b))
        self.out_w = p["out.weight"].T.copy()
        self.out_b = p["out.bias"]
        self.trans = p["crf.trans"]
        self.start = p["crf.start"]
        self.end = p["crf.end"]


class EnsembleTagger:
    def __init__(self, vocab: Vocab, members: list[dict[str, np.ndarray]]):
        self.vocab = vocab
        self.members = [_Member(m) for m in members]
        k = len(self.members)
        # all members' forward and backward LSTMs stacked, run as one batch of 2k recurrences
        self._w_ih = np.stack([d[0] for m in self.members for d in m.dirs])  # (2k, in, 4H)
        self._w_hh = np.stack([d[1] for m in self.members for d in m.dirs])  # (2k, H, 4H)
        self._b = np.stack([d[2] for m in self.members for d in m.dirs])  # (2k, 4H)
        self.trans = sum(m.trans for m in self.members) / k
        self.start = sum(m.start for m in self.members) / k
        self.end = sum(m.end for m in self.members) / k

    @classmethod
    def load(cls, path: str | Path) -> "EnsembleTagger":
        with np.load(path, allow_pickle=False) as z:
            vocab = Vocab.from_json(bytes(z["vocab"]).decode("utf-8"))
            n = int(z["n_members"])
            members = []
            for k in range(n):
                prefix = f"m{k}/"
                members.append(
                    {key[len(prefix) :]: z[key].astype(np.float32) for key in z.files if key.startswith(prefix)}
                )
        return cls(vocab, members)

    @staticmethod
    def save(path: str | Path, vocab: Vocab, members: list[dict[str, np.ndarray]]) -> None:
        arrays = {"vocab": np.frombuffer(vocab.to_json().encode("utf-8"), dtype=np.uint8),
                  "n_members": np.array(len(members))}
        for k, m in enumerate(members):
            for key, val in m.items():
                arrays[f"m{k}/{key}"] = val.astype(np.float16)
        with open(path, "wb") as fh:
            np.savez_compressed(fh, **arrays)

    def emissions(self, chars, left, right, feats) -> np.ndarray:
        """Average per-token tag scores of the members, shape (n, tags)."""
        n = len(chars)
        xs = []
        for m in self.members:
            x_feat = np.zeros((n, m.feat_emb.shape[1]), dtype=np.float32)
            for i, fs in enumerate(feats):
                if fs:
                    x_feat[i] = m.feat_emb[fs].sum(0)
            x = np.concatenate([m.char_emb[chars], m.bigram_emb[left], m.bigram_emb[right], x_feat], axis=1)
            xs.extend((x, x[::-1]))
        gx = np.matmul(np.stack(xs), self._w_ih) + self._b[:, None, :]
        K2, H = self._w_hh.shape[0], self._w_hh.shape[1]
        h = np.zeros((K2, H), dtype=np.float32)
        c = np.zeros((K2, H), dtype=np.float32)
        hs = np.empty((K2, n, H), dtype=np.float32)
        for t in range(n):
            # einsum rather than matmul for the recurrent step: it stays single-threaded, faster
            # for these small products than BLAS calls, above all when the cores are contended
            g = gx[:, t] + np.einsum("kh,khg->kg", h, self._w_hh)
            i_g = _sigmoid(g[:, :H])
            f_g = _sigmoid(g[:, H : 2 * H])
            c_g = np.tanh(g[:, 2 * H : 3 * H])
            o_g = _sigmoid(g[:, 3 * H :])
            c = f_g * c + i_g * c_g
            h = o_g * np.tanh(c)
            hs[:, t] = h
        em = np.zeros((n, len(self.vocab.tags)), dtype=np.float32)
        for k, m in enumerate(self.members):
            both = np.concatenate([hs[2 * k], hs[2 * k + 1][::-1]], axis=1)
            em += both @ m.out_w + m.out_b
        return em / len(self.members)

    def tag(self, inputs) -> list[str]:
        em = self.emissions(*self.vocab.encode(inputs))
        return [self.vocab.tags[i] for i in viterbi(em, self.trans, self.start, self.end)]


def viterbi(em: np.ndarray, trans: np.ndarray, start: np.ndarray, end: np.ndarray) -> list[int]:
    n = em.shape[0]
    score = start + em[0]
    back = np.empty((n, em.shape[1]), dtype=np.int64)
    for t in range(1, n):
        cand = score[:, None] + trans
        back[t] = cand.argmax(0)
        score = cand.max(0) + em[t]
    score = score + end
    best = [int(score.argmax())]
    for t in range(n - 1, 0, -1):
        best.append(int(back[t, best[-1]]))
    return best[::-1]
