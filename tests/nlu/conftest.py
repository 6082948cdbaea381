"""Shared fixtures for the NLU tests: a small fixture data set and the real data."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.api import build_embedded
from nlu.data import LANGUAGES, default_data_dir
from nlu.embedded import EmbeddedNLU

FIXTURE_DATA = Path(__file__).parent / "fixtures" / "data"
REAL_DATA = default_data_dir()
UNSEEN = Path(__file__).parent / "unseen.yml"


def real_data_present() -> bool:
    """True once every language file of the real training data exists."""
    nlu_dir = REAL_DATA / "nlu"
    return all((nlu_dir / f"{lang}.yml").is_file() for lang in LANGUAGES)


@pytest.fixture(scope="session")
def fixture_nlu(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedNLU:
    """The embedded NLU trained on the small fixture data set."""
    return build_embedded(FIXTURE_DATA, tmp_path_factory.mktemp("fixture-cache"))


@pytest.fixture(scope="session")
def real_nlu(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedNLU:
    """The embedded NLU trained on the real data (skips until it is all there)."""
    if not real_data_present():
        pytest.skip("the real training data is not complete yet")
    return build_embedded(REAL_DATA, tmp_path_factory.mktemp("real-cache"))
