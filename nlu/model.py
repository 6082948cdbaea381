"""Train the embedded models from a data directory, or load them from the cache."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path

from nlu import cache
from nlu import data as nludata
from nlu.data import Example, TrainingData
from nlu.entities import base_rules_path, country_names, load_base
from nlu.train import LANG_BLOCKS, Recipe, fit

__all__ = [
    "CODE_VERSION",
    "INTENT_RECIPE",
    "LANG_RECIPE",
    "cache_key",
    "load_or_train",
    "train_artifacts",
]

log = logging.getLogger(__name__)

# Bump when features or training change in a way the data hash cannot see.
CODE_VERSION = "3"
INTENT_RECIPE = Recipe()
# 0.3: the temperature that minimised log-loss of language id on the held-out split
LANG_RECIPE = Recipe(blocks=LANG_BLOCKS, temperature=0.3)


def cache_key(data_dir: Path) -> str:
    """Hash of the data files, the base country list and the training code version."""
    extra = (
        CODE_VERSION,
        repr(INTENT_RECIPE),
        repr(LANG_RECIPE),
        base_rules_path().read_text("utf-8"),
    )
    return nludata.fingerprint(data_dir, *extra)


def train_artifacts(
    data: TrainingData, examples: Sequence[Example] | None = None
) -> cache.Artifacts:
    """Fit the intent and language models on ``examples`` (default: all of ``data``)."""
    rows = list(data.examples if examples is None else examples)
    if len({ex.intent for ex in rows}) < 2:
        raise ValueError("need examples of at least two intents to train")
    started = time.perf_counter()
    intent = fit([ex.text for ex in rows], [ex.intent for ex in rows], INTENT_RECIPE)
    with_lang = [ex for ex in rows if ex.language]
    lang = fit([ex.text for ex in with_lang], [str(ex.language) for ex in with_lang], LANG_RECIPE)
    base, never = load_base()
    # Only the training rows' annotations: the held-out split must not teach names.
    seen = TrainingData(examples=rows, synonyms=data.synonyms, lookups=data.lookups)
    names = {**base, **country_names(seen)}
    seconds = time.perf_counter() - started
    info: dict[str, object] = {"examples": len(rows), "train_seconds": round(seconds, 3)}
    return cache.Artifacts(intent, lang, names, never, info)


def load_or_train(data_dir: Path, cache_dir: Path) -> tuple[cache.Artifacts, bool]:
    """The models for ``data_dir``: from ``cache_dir`` if the data is unchanged, else trained."""
    key = cache_key(data_dir)
    directory = cache_dir / f"embedded-{key[:24]}"
    cached = cache.read(directory)
    if cached is not None:
        return cached, False
    data = nludata.load(data_dir)
    for problem in data.problems:
        log.warning("nlu data: %s", problem)
    artifacts = train_artifacts(data)
    try:
        cache.write(directory, artifacts)
    except OSError as exc:
        # A read-only or full disk must not stop the bot: it trains again next start.
        log.warning("nlu cache not written (%s)", type(exc).__name__)
    return artifacts, True
