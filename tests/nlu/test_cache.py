"""The model cache: keyed by the data hash, never unpickles, survives damage."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from nlu import model
from nlu.api import build_embedded
from nlu.cache import Artifacts

from .conftest import FIXTURE_DATA


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE_DATA, tmp_path / "data")
    return tmp_path / "data"


@pytest.fixture
def trainings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts calls to the trainer."""
    calls: list[int] = []
    real = model.train_artifacts

    def counting(*args: object, **kwargs: object) -> Artifacts:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(model, "train_artifacts", counting)
    return calls


def test_second_build_loads_without_training(
    data_dir: Path, tmp_path: Path, trainings: list[int]
) -> None:
    first = build_embedded(data_dir, tmp_path / "cache")
    second = build_embedded(data_dir, tmp_path / "cache")
    assert len(trainings) == 1
    text = "Мне предложили работу в Германии, проверьте"
    assert first.parse_sync(text) == second.parse_sync(text)


def test_changed_data_retrains(data_dir: Path, tmp_path: Path, trainings: list[int]) -> None:
    build_embedded(data_dir, tmp_path / "cache")
    with (data_dir / "nlu" / "en.yml").open("a", encoding="utf-8") as f:
        f.write("- intent: goodbye\n  examples: |\n    - bye\n    - see you\n")
    nlu = build_embedded(data_dir, tmp_path / "cache")
    assert len(trainings) == 2
    assert "goodbye" in nlu.intents.classes


def test_cache_holds_only_npz_and_json(data_dir: Path, tmp_path: Path) -> None:
    build_embedded(data_dir, tmp_path / "cache")
    files = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert files
    assert {p.suffix for p in files} == {".npz", ".json"}
    for npz in (p for p in files if p.suffix == ".npz"):
        with np.load(npz, allow_pickle=False) as arrays:  # raises if anything is pickled
            assert all(arrays[k].dtype != object for k in arrays.files)


def test_damaged_cache_is_retrained(data_dir: Path, tmp_path: Path, trainings: list[int]) -> None:
    build_embedded(data_dir, tmp_path / "cache")
    (intent_json,) = (tmp_path / "cache").rglob("intent.json")
    intent_json.write_text("{not json", encoding="utf-8")
    nlu = build_embedded(data_dir, tmp_path / "cache")
    assert len(trainings) == 2
    assert nlu.parse_sync("salut").intent == "greet"


def test_mismatched_arrays_are_rejected(
    data_dir: Path, tmp_path: Path, trainings: list[int]
) -> None:
    build_embedded(data_dir, tmp_path / "cache")
    (intent_npz,) = (tmp_path / "cache").rglob("intent.npz")
    with np.load(intent_npz) as arrays:
        kept = {k: arrays[k] for k in arrays.files}
    kept["weights"] = kept["weights"][:10]
    np.savez(intent_npz, **kept)
    build_embedded(data_dir, tmp_path / "cache")
    assert len(trainings) == 2


def test_unwritable_cache_still_gives_a_model(data_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache directory should be", encoding="utf-8")
    nlu = build_embedded(data_dir, blocker)
    assert nlu.parse_sync("salut").intent == "greet"
