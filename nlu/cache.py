"""The trained-model cache: one directory per hash of (data, code version, recipe).

Files are ``.npz`` (read with ``allow_pickle=False``) and JSON only, so a
tampered cache can at worst give wrong answers, never run code. A directory
is written under a temporary name and renamed into place, so a crash or a
second worker never leaves a half-written model behind.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from nlu.linear import LinearModel

__all__ = ["Artifacts", "read", "write"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Artifacts:
    """Everything the embedded NLU needs at run time."""

    intent: LinearModel
    lang: LinearModel
    names: dict[str, str]  # country surface form -> ISO code
    never: list[str]
    info: dict[str, object] = field(default_factory=dict)


def read(directory: Path) -> Artifacts | None:
    """Load a cached model, or None when it is missing or unreadable."""
    if not (directory / "meta.json").is_file():
        return None
    try:
        meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
        return Artifacts(
            intent=LinearModel.load(directory / "intent"),
            lang=LinearModel.load(directory / "lang"),
            names={str(k): str(v) for k, v in meta["names"].items()},
            never=[str(w) for w in meta["never"]],
            info=dict(meta.get("info") or {}),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        # A broken cache is not fatal: the caller retrains and rewrites it.
        log.warning("nlu cache %s unreadable (%s); retraining", directory.name, type(exc).__name__)
        return None


def write(directory: Path, artifacts: Artifacts) -> None:
    """Store ``artifacts`` at ``directory`` atomically."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=directory.parent))
    try:
        artifacts.intent.save(tmp / "intent")
        artifacts.lang.save(tmp / "lang")
        meta = {"names": artifacts.names, "never": artifacts.never, "info": artifacts.info}
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        try:
            os.rename(tmp, directory)
        except OSError:
            # Another process won the race; its copy is just as good.
            if not (directory / "meta.json").is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
