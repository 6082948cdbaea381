"""Fit a LinearModel with scikit-learn (imported only here, only when training)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nlu.features import VIEWS, Block, analyzer
from nlu.linear import FloatArray, LinearModel

__all__ = ["INTENT_BLOCKS", "LANG_BLOCKS", "Recipe", "fit"]

# The intent model reads four views: character n-grams of the normalised
# text, the same of the folded text (so Latin-typed Russian meets Cyrillic),
# folded word uni/bigrams, and the same over 4-letter word stems (cheap
# stemming for three inflecting languages). Chosen by measurement: nlu/README.md.
INTENT_BLOCKS = (
    Block("plain_char", "plain", "char_wb", 2, 5),
    Block("folded_char", "folded", "char_wb", 2, 5),
    Block("folded_words", "folded", "words", 1, 2),
    Block("folded_stems", "folded", "words", 1, 2, trim=4),
)
# Language id keeps diacritics and script: they are the best cues (ă ș ț, і ї є, ы э).
LANG_BLOCKS = (
    Block("lower_char", "lower", "char_wb", 1, 4),
    Block("folded_words", "folded", "words", 1, 1),
)


@dataclass(frozen=True, slots=True)
class Recipe:
    """How to fit: which features, which classifier, how much regularisation."""

    blocks: tuple[Block, ...] = INTENT_BLOCKS
    classifier: str = "svm"  # "svm" (LinearSVC) or "logreg"
    c: float = 0.5
    min_df: int = 1
    class_weight: str | None = "balanced"
    # Softmax temperature over the decision scores. Logistic regression is
    # already a softmax (1.0); an SVM's margins need sharpening to read as
    # probabilities: 0.15 minimised the held-out log-loss (nlu/README.md).
    temperature: float = 0.15


def fit(texts: Sequence[str], labels: Sequence[str], recipe: Recipe) -> LinearModel:
    """Fit the vectorisers and the classifier; return a self-contained model."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer

    views = {name: [fn(t) for t in texts] for name, fn in VIEWS.items() if _used(recipe, name)}
    vectorizers = []
    matrices = []
    for block in recipe.blocks:
        vec = TfidfVectorizer(
            analyzer=analyzer(block), sublinear_tf=True, min_df=recipe.min_df, dtype=np.float32
        )
        matrices.append(vec.fit_transform(views[block.view]))
        vectorizers.append(vec)
    x = hstack(matrices).tocsr()
    classes = sorted(set(labels))
    y = np.asarray([classes.index(label) for label in labels])
    weights, bias = _fit_classifier(x, y, len(classes), recipe)
    vocabs: list[dict[str, int]] = []
    offset = 0
    for vec in vectorizers:
        vocabs.append({str(k): offset + int(v) for k, v in vec.vocabulary_.items()})
        offset += len(vec.vocabulary_)
    return LinearModel(
        blocks=list(recipe.blocks),
        vocabs=vocabs,
        idf=np.concatenate([vec.idf_ for vec in vectorizers]).astype(np.float32),
        weights=weights,
        bias=bias,
        classes=classes,
        temperature=recipe.temperature,
    )


def _used(recipe: Recipe, view: str) -> bool:
    return any(b.view == view for b in recipe.blocks)


def _fit_classifier(
    x: object, y: np.ndarray, n_classes: int, recipe: Recipe
) -> tuple[FloatArray, FloatArray]:
    if recipe.classifier == "logreg":
        from sklearn.linear_model import LogisticRegression

        clf = LogisticRegression(
            C=recipe.c, max_iter=300, class_weight=recipe.class_weight, random_state=0
        )
    elif recipe.classifier == "svm":
        from sklearn.svm import LinearSVC

        clf = LinearSVC(C=recipe.c, class_weight=recipe.class_weight, random_state=0)
    else:
        raise ValueError(f"unknown classifier {recipe.classifier!r}")
    clf.fit(x, y)
    coef = np.asarray(clf.coef_, dtype=np.float32)
    intercept = np.asarray(clf.intercept_, dtype=np.float32)
    if n_classes == 2:
        # scikit-learn keeps one row for two classes; spread it symmetrically.
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.asarray([-intercept[0] / 2, intercept[0] / 2], dtype=np.float32)
    return np.ascontiguousarray(coef.T), intercept
