"""Module-level country extraction for callers without an NLU object (the offer checker)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from nlu import data as nludata
from nlu.entities import Gazetteer, build_gazetteer
from nlu.textnorm import clean
from nlu.types import Entity

__all__ = ["extract_countries", "gazetteer_for"]


@lru_cache(maxsize=8)
def gazetteer_for(data_dir: Path, fingerprint: str) -> Gazetteer:
    """The gazetteer of one data directory at one version of its files."""
    del fingerprint  # part of the cache key only: changed files build a new one
    return build_gazetteer(nludata.load(data_dir))


def extract_countries(text: str) -> list[Entity]:
    """Countries in ``text`` (ISO alpha-2 values), using the repository's data."""
    return _default().extract(clean(text))


@lru_cache(maxsize=1)
def _default() -> Gazetteer:
    # Built once per process: the offer checker calls this per message, and
    # the data files do not change while the app runs.
    data_dir = nludata.default_data_dir()
    return gazetteer_for(data_dir, nludata.fingerprint(data_dir))
