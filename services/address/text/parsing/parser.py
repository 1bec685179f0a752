"""Free-text Chinese address parser (一标三实 standard-address chunks).

    >>> from services.address.text.parsing import parse
    >>> [(c.label, c.text) for c in parse("浙江省杭州市滨江区缤纷北苑47幢")]
    [('prov', '浙江省'), ('city', '杭州市'), ('district', '滨江区'), ('poi', '缤纷北苑'), ('houseno', '47幢')]

An ensemble of character BiLSTM-CRF taggers (``model.py``, run with numpy) tags the tokens of
the address with BIO tags over the 21 labels of the Li et al. (NAACL 2019) corpus, using
division-gazetteer and address key-word features (``features.py``); the tags are turned into
chunks whose offsets point into the caller's original string (end exclusive), whitespace and
full-width characters included. The model and the division gazetteer are shipped in this package and
loaded once, lazily, on first use.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .corpus import chunks_from_tags
from .features import FeatureExtractor
from .gazetteer import GAZETTEER_PATH, Gazetteer
from .model import EnsembleTagger, token_inputs
from .text import Token, tokenize

PACKAGE_DIR = Path(__file__).resolve().parent
MODEL_PATH = PACKAGE_DIR / "model.bin"
MAX_TOKENS = 128

LABELS = (
    "country", "prov", "city", "district", "devzone", "town", "community", "road", "subroad",
    "roadno", "subroadno", "poi", "subpoi", "houseno", "cellno", "floorno", "roomno", "person",
    "assist", "redundant", "otherinfo",
)


@dataclass(frozen=True, slots=True)
class Chunk:
    label: str
    text: str
    start: int  # offset into the original text, inclusive
    end: int  # offset into the original text, exclusive

    def as_dict(self) -> dict:
        return {"label": self.label, "text": self.text, "start": self.start, "end": self.end}


class AddressParser:
    def __init__(self, model_path: str | Path = MODEL_PATH, gazetteer_path: str | Path = GAZETTEER_PATH):
        model_path = Path(model_path)
        if not model_path.exists():
            raise FileNotFoundError(
                f"address parser model not found: {model_path} "
                "(retrain it with `python -m services.address.offline.train_parser`)"
            )
        self._tagger = EnsembleTagger.load(model_path)
        self._features = FeatureExtractor(Gazetteer.load(gazetteer_path))

    def tag_tokens(self, tokens: list[str]) -> list[str]:
        """BIO tags for already tokenised (normalised) tokens."""
        if not tokens:
            return []
        return self._tagger.tag(token_inputs(tokens, self._features))

    def parse(self, text: str) -> list[Chunk]:
        toks: list[Token] = tokenize(text)
        if not toks:
            return []
        words = [t.text for t in toks]
        tags: list[str] = []
        # Addresses are short (corpus maximum: 71 tokens); an overlong input is tagged in
        # windows so that the cost stays linear in its length.
        for i in range(0, len(words), MAX_TOKENS):
            tags.extend(self.tag_tokens(words[i : i + MAX_TOKENS]))
        chunks = []
        for label, s, e in chunks_from_tags(tags):
            start, end = toks[s].start, toks[e - 1].end
            chunks.append(Chunk(label, text[start:end], start, end))
        return chunks


_load_lock = threading.Lock()


@lru_cache(maxsize=4)
def _load(model_path: str) -> AddressParser:
    return AddressParser(model_path)


def load_parser(model_path: str | Path = MODEL_PATH) -> AddressParser:
    """The parser for ``model_path``, built once per process (thread-safe; parsing is too)."""
    with _load_lock:
        return _load(str(model_path))


def parse(text: str) -> list[Chunk]:
    """Split a free-text Chinese address into labelled chunks (offsets into ``text``)."""
    if not text or text.isspace():
        return []
    return load_parser().parse(text)
