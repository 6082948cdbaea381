"""A linear classifier over TF-IDF n-gram blocks, runnable without scikit-learn.

Weights are stored as ``.npz`` (loaded with ``allow_pickle=False``) plus a
JSON file for the vocabularies, so loading a cached model never unpickles
anything.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import chain, repeat
from pathlib import Path

import numpy as np
import numpy.typing as npt

from nlu.features import VIEWS, Block, analyzer

__all__ = ["LinearModel", "softmax"]

FloatArray = npt.NDArray[np.float32]
FORMAT = 2  # bump when the file layout changes


def softmax(scores: FloatArray) -> FloatArray:
    """Numerically stable softmax of a score vector."""
    z = scores - scores.max()
    e = np.exp(z)
    out: FloatArray = (e / e.sum()).astype(np.float32)
    return out


@dataclass(slots=True)
class LinearModel:
    """Scores = sum over blocks of l2-normalised TF-IDF vectors times weights, plus bias.

    ``vocabs[b]`` maps block b's n-grams to *global* feature indices (block b
    owns a contiguous range), so one message is scored in one numpy pass.
    """

    blocks: list[Block]
    vocabs: list[dict[str, int]]
    idf: FloatArray  # (n_features,)
    weights: FloatArray  # (n_features, n_classes)
    bias: FloatArray  # (n_classes,)
    classes: list[str]
    temperature: float = 1.0  # scores are divided by it before the softmax
    _analyzers: list[Callable[[str], list[str]]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._analyzers = [analyzer(b) for b in self.blocks]

    def scores(self, text: str) -> FloatArray:
        """Raw decision scores, one per class."""
        views: dict[str, str] = {}
        counters: list[Counter[str]] = []
        for block, analyze in zip(self.blocks, self._analyzers, strict=True):
            view = views.get(block.view)
            if view is None:
                view = views[block.view] = VIEWS[block.view](text)
            counters.append(Counter(analyze(view)))
        # Counting and look-ups run in C (Counter, map over dict.get); a
        # Python loop per n-gram used to be most of the cost of a parse.
        n = sum(map(len, counters))
        looked_up = (map(v.get, c, repeat(-1)) for v, c in zip(self.vocabs, counters, strict=True))
        ids = np.fromiter(chain.from_iterable(looked_up), np.int64, n)
        tf = np.fromiter(chain.from_iterable(c.values() for c in counters), np.float32, n)
        owner = np.repeat(np.arange(len(counters)), [len(c) for c in counters])
        known = ids >= 0
        if not known.any():
            return self.bias.copy()
        ids, tf, owner = ids[known], tf[known], owner[known]
        # sublinear tf, as in training
        weighted: FloatArray = ((1.0 + np.log(tf)) * self.idf[ids]).astype(np.float32, copy=False)
        # l2 per block, as each TfidfVectorizer normalised its own block
        norms = np.sqrt(np.bincount(owner, weights=weighted * weighted, minlength=len(counters)))
        weighted /= norms[owner].astype(np.float32)
        out: FloatArray = weighted @ self.weights[ids] + self.bias
        return out

    def proba(self, text: str) -> FloatArray:
        """Class probabilities (softmax of the tempered scores)."""
        return softmax(self.scores(text) / self.temperature)

    def save(self, path: Path) -> None:
        """Write ``path.npz`` and ``path.json``."""
        np.savez(path.with_suffix(".npz"), weights=self.weights, bias=self.bias, idf=self.idf)
        meta = {
            "format": FORMAT,
            "blocks": [b.to_json() for b in self.blocks],
            "classes": self.classes,
            "temperature": self.temperature,
            "vocabs": [sorted(v, key=v.__getitem__) for v in self.vocabs],
        }
        path.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        """Read a model written by ``save``; raises ValueError on any inconsistency."""
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError("model file format changed")
        with np.load(path.with_suffix(".npz"), allow_pickle=False) as npz:
            weights = np.ascontiguousarray(npz["weights"], dtype=np.float32)
            bias = npz["bias"].astype(np.float32)
            idf = npz["idf"].astype(np.float32)
        blocks = [Block.from_json(b) for b in meta["blocks"]]
        vocabs: list[dict[str, int]] = []
        offset = 0
        for grams in meta["vocabs"]:
            vocabs.append({str(g): offset + i for i, g in enumerate(grams)})
            offset += len(grams)
        classes = [str(c) for c in meta["classes"]]
        if len(vocabs) != len(blocks) or not offset == len(idf) == weights.shape[0]:
            raise ValueError("model arrays do not match their vocabularies")
        if weights.shape[1:] != (len(classes),) or bias.shape != (len(classes),):
            raise ValueError("model arrays do not match the classes")
        return cls(blocks, vocabs, idf, weights, bias, classes, float(meta["temperature"]))
