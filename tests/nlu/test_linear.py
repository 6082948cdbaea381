"""The numpy-only LinearModel scores exactly as the scikit-learn pipeline it was fitted with."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from nlu.data import load
from nlu.features import VIEWS, analyzer, char_wb
from nlu.linear import LinearModel
from nlu.train import INTENT_BLOCKS, Recipe, fit

from .conftest import FIXTURE_DATA

PROBES = [
    "salut, am o oferta de munca in Germania",
    "помогите, меня заперли",
    "Дякую за допомогу",
    "zzz qqq",
    "",
    "ok",
]


@pytest.fixture(scope="module")
def fitted() -> tuple[LinearModel, list[str], list[str]]:
    data = load(FIXTURE_DATA)
    texts = [e.text for e in data.examples]
    labels = [e.intent for e in data.examples]
    return fit(texts, labels, Recipe()), texts, labels


def test_scores_match_scikit_learn(fitted: tuple[LinearModel, list[str], list[str]]) -> None:
    model, texts, labels = fitted
    vecs = [
        TfidfVectorizer(analyzer=analyzer(b), sublinear_tf=True, dtype=np.float32)
        for b in INTENT_BLOCKS
    ]
    x = hstack(
        [
            v.fit_transform([VIEWS[b.view](t) for t in texts])
            for v, b in zip(vecs, INTENT_BLOCKS, strict=True)
        ]
    )
    classes = sorted(set(labels))
    clf = LinearSVC(C=Recipe().c, class_weight="balanced", random_state=0)
    clf.fit(x.tocsr(), [classes.index(label) for label in labels])
    probe = hstack(
        [
            v.transform([VIEWS[b.view](t) for t in PROBES])
            for v, b in zip(vecs, INTENT_BLOCKS, strict=True)
        ]
    )
    expected = clf.decision_function(probe.tocsr())
    got = np.stack([model.scores(t) for t in PROBES])
    assert model.classes == classes
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_save_and_load_round_trip(
    fitted: tuple[LinearModel, list[str], list[str]], tmp_path: Path
) -> None:
    model, _, _ = fitted
    model.save(tmp_path / "m")
    loaded = LinearModel.load(tmp_path / "m")
    for text in PROBES:
        np.testing.assert_array_equal(loaded.scores(text), model.scores(text))
        assert abs(float(loaded.proba(text).sum()) - 1) < 1e-5


def test_char_wb_matches_scikit_learn() -> None:
    sk = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=False).build_analyzer()
    for text in ["a", "ab", "abcdef", "a bc def ghij", "привет мир я", ""]:
        assert sorted(char_wb(text, 2, 5)) == sorted(sk(text))
