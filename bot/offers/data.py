"""Everything the checker reads from content/offers, loaded once and cached."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.offers.catalogue import Catalogue, load_catalogue
from bot.offers.questions import Question, load_questions
from bot.offers.registry import Registry, import_agencies
from bot.offers.wages import WageTable, load_wages

__all__ = ["OfferData", "default_content_dir", "default_data", "load_data"]

_REPO = Path(__file__).resolve().parents[2]
# libyaml when available: flags.yml is read at start-up
_Loader: type[yaml.SafeLoader | yaml.CSafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True, eq=False)
class OfferData:
    """The catalogue, wage table, report frame, questionnaire and agency registry."""

    catalogue: Catalogue
    wages: WageTable
    frame: Mapping[str, Any]  # report.yml: language -> labels
    questions: tuple[Question, ...]
    registry: Registry
    transit_cues: tuple[re.Pattern[str], ...]
    offer_words: tuple[re.Pattern[str], ...]


def default_content_dir() -> Path:
    """CONTENT_DIR from the environment, else the repository's content/."""
    env = os.environ.get("CONTENT_DIR")
    return Path(env) if env else _REPO / "content"


def _yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as f:
        return yaml.load(f, Loader=_Loader)  # noqa: S506 - a SafeLoader (C or Python)


def load_data(content_dir: Path | None = None, *, registry: Registry | None = None) -> OfferData:
    """Read content/offers/ (or ``content_dir``/offers); ``registry`` overrides agencies.csv."""
    base = (content_dir or default_content_dir()) / "offers"
    flags = _yaml(base / "flags.yml")
    wages = load_wages(_yaml(base / "wages.yml"))
    agencies = base / "agencies.csv"
    return OfferData(
        catalogue=load_catalogue(flags, wages),
        wages=wages,
        frame=_yaml(base / "report.yml"),
        questions=load_questions(_yaml(base / "questionnaire.yml")),
        registry=registry
        if registry is not None
        else Registry(import_agencies(agencies) if agencies.exists() else ()),
        transit_cues=tuple(re.compile(p) for p in flags.get("transit_cues", ())),
        offer_words=tuple(re.compile(p) for p in flags.get("offer_words", ())),
    )


@lru_cache(maxsize=1)
def default_data() -> OfferData:
    """The repository's data, loaded on first use and kept for the life of the process."""
    return load_data()
