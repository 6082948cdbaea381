"""Build an NLU backend from configuration: what the bot calls at start-up."""

from __future__ import annotations

import logging
from pathlib import Path

from nlu.embedded import EmbeddedNLU
from nlu.model import load_or_train
from nlu.safety import load_safety_net
from nlu.types import EMBEDDED, NLU, RASA

__all__ = ["build_embedded", "build_nlu"]

log = logging.getLogger(__name__)


def build_embedded(data_dir: Path, cache_dir: Path) -> EmbeddedNLU:
    """The embedded NLU: loaded from the cache, or trained (seconds) and cached."""
    artifacts, trained = load_or_train(data_dir, cache_dir)
    log.info("nlu embedded model %s", "trained" if trained else "loaded from cache")
    return EmbeddedNLU(artifacts, load_safety_net())


def build_nlu(backend: str, *, data_dir: Path, cache_dir: Path, rasa_url: str | None = None) -> NLU:
    """``embedded`` or ``rasa`` (which needs ``rasa_url`` and falls back to embedded)."""
    embedded = build_embedded(data_dir, cache_dir)
    if backend == EMBEDDED:
        return embedded
    if backend == RASA:
        if not rasa_url:
            raise ValueError("NLU_BACKEND=rasa needs RASA_URL")
        from nlu.rasa import RasaNLU

        return RasaNLU(rasa_url, embedded)
    raise ValueError(f"unknown NLU backend {backend!r} (embedded or rasa)")
