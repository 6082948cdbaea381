"""Read the Rasa-format training data under ``nlu/data/nlu/``.

Supports what Rasa 3 reads from YAML: intents with examples (a block of
``- `` lines or a list of ``{text: ...}``), entity annotations in the three
Rasa syntaxes, ``synonym`` and ``lookup`` sections.
See https://rasa.com/docs/rasa/training-data-format/.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nlu.textnorm import fold

__all__ = [
    "LANGUAGES",
    "Annotation",
    "Example",
    "TrainingData",
    "data_files",
    "default_data_dir",
    "fingerprint",
    "is_held_out",
    "language_of",
    "load",
    "parse_annotated",
    "split",
]

LANGUAGES = ("ro", "ru", "uk", "en", "rom")
HELD_OUT_PERCENT = 20

# [text](entity) | [text](entity:value) | [text]{"entity": ..., "value": ...}
# | [text][{...}, {...}]  (Rasa's own regex, simplified to what we need)
_ANNOTATION = re.compile(
    r"\[(?P<text>[^\]]+?)\]"
    r"(?:\((?P<entity>[^:)]+?)(?::(?P<value>[^)]+))?\)"
    r"|\{(?P<dict>[^}]+?)\}"
    r"|\[(?P<list>\{.*?\})\])"
)

_CODE = re.compile(r"^[A-Z]{2}$")
# libyaml is ten times faster on large files; PyYAML may be built without it.
_Loader: type[yaml.SafeLoader | yaml.CSafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class Annotation:
    """An entity annotated in a training example (offsets into the plain text)."""

    entity: str
    value: str
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Example:
    """One training message with its intent, language and annotations."""

    text: str
    intent: str
    language: str | None
    entities: tuple[Annotation, ...] = ()
    source: str = ""


@dataclass(slots=True)
class TrainingData:
    """Everything read from a data directory."""

    examples: list[Example] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)  # surface form -> value
    lookups: dict[str, list[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # unreadable files or sections
    warnings: list[str] = field(default_factory=list)  # readable, but not as Rasa reads it

    @property
    def intents(self) -> list[str]:
        """Intent names in first-seen order."""
        return list(dict.fromkeys(e.intent for e in self.examples))


def default_data_dir() -> Path:
    """The repository's ``nlu/data`` directory."""
    return Path(__file__).resolve().parent / "data"


def language_of(path: Path) -> str | None:
    """Language of a data file: the stem before any ``_`` (``ro_extra.yml`` is ro)."""
    lang = path.stem.split("_", 1)[0].lower()
    return lang if lang in LANGUAGES else None


def data_files(data_dir: Path) -> list[Path]:
    """The NLU YAML files of a data directory, in a stable order."""
    nlu_dir = data_dir / "nlu"
    if not nlu_dir.is_dir():
        return []
    return sorted(p for p in nlu_dir.rglob("*") if p.suffix in {".yml", ".yaml"} and p.is_file())


def fingerprint(data_dir: Path, *extra: str) -> str:
    """A hash of the data files (names and bytes) plus any extra strings."""
    h = hashlib.sha256()
    for path in data_files(data_dir):
        h.update(path.relative_to(data_dir).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    for item in extra:
        h.update(item.encode())
        h.update(b"\0")
    return h.hexdigest()


def load(data_dir: Path) -> TrainingData:
    """Read every YAML file under ``data_dir/nlu``; bad sections are reported, not fatal."""
    data = TrainingData()
    for path in data_files(data_dir):
        try:
            doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - safe loader
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            data.problems.append(f"{path.name}: unreadable YAML: {exc}")
            continue
        _read_document(doc, path, data)
    return data


def _read_document(doc: Any, path: Path, data: TrainingData) -> None:
    if not isinstance(doc, dict):
        data.problems.append(f"{path.name}: not a mapping")
        return
    sections = doc.get("nlu") or []
    if not isinstance(sections, list):
        data.problems.append(f"{path.name}: 'nlu' is not a list")
        return
    lang = language_of(path)
    for section in sections:
        if not isinstance(section, dict):
            continue
        lines = list(_example_lines(section.get("examples")))
        if "intent" in section:
            intent = str(section["intent"]).strip()
            for line in lines:
                text, annotations = parse_annotated(line)
                if any(a.text == a.value and _CODE.match(a.entity) for a in annotations):
                    data.warnings.append(f"{path.name}: [..](XX) read as country XX: {line}")
                    annotations = tuple(_as_country(a) for a in annotations)
                if text:
                    data.examples.append(Example(text, intent, lang, annotations, path.name))
        elif "synonym" in section:
            value = str(section["synonym"]).strip()
            for line in lines:
                data.synonyms[line] = value
        elif "lookup" in section:
            data.lookups.setdefault(str(section["lookup"]).strip(), []).extend(lines)


def _as_country(a: Annotation) -> Annotation:
    # "[rusia](RU)" means entity type "RU" to Rasa, but the writer meant the
    # country RU; the embedded model reads it as meant (and says so).
    if a.text == a.value and _CODE.match(a.entity):
        return Annotation("country", a.entity, a.start, a.end, a.text)
    return a


def _example_lines(examples: Any) -> Iterator[str]:
    if isinstance(examples, str):
        for raw in examples.splitlines():
            line = raw.strip()
            if line.startswith("- "):
                line = line[2:].strip()
            elif line == "-" or not line or line.startswith("#"):
                continue
            if line:
                yield line
    elif isinstance(examples, list):
        for item in examples:
            text = item.get("text") if isinstance(item, dict) else item
            if isinstance(text, str) and text.strip():
                yield text.strip()


def parse_annotated(line: str) -> tuple[str, tuple[Annotation, ...]]:
    """Strip Rasa entity markup from an example; return plain text and annotations."""
    out: list[str] = []
    annotations: list[Annotation] = []
    pos = 0
    length = 0
    for m in _ANNOTATION.finditer(line):
        before = line[pos : m.start()]
        out.append(before)
        length += len(before)
        surface = m.group("text")
        start, end = length, length + len(surface)
        out.append(surface)
        length = end
        pos = m.end()
        for entity, value in _entity_values(m, surface):
            annotations.append(Annotation(entity, value, start, end, surface))
    out.append(line[pos:])
    return "".join(out), tuple(annotations)


def _entity_values(m: re.Match[str], surface: str) -> Iterable[tuple[str, str]]:
    if m.group("entity"):
        yield m.group("entity").strip(), (m.group("value") or surface).strip()
        return
    raw = "{" + m.group("dict") + "}" if m.group("dict") else "[" + (m.group("list") or "") + "]"
    parsed = _json_or_yaml(raw)
    items = parsed if isinstance(parsed, list) else [parsed]
    for item in items:
        if isinstance(item, dict) and item.get("entity"):
            yield str(item["entity"]), str(item.get("value", surface))


def _json_or_yaml(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        try:  # people write {entity: country, value: DE} too; YAML flow reads it
            return yaml.load(raw, Loader=_Loader)  # noqa: S506 - safe loader
        except yaml.YAMLError:
            return None


def is_held_out(text: str) -> bool:
    """Whether an example belongs to the evaluation split (stable hash of its folded text)."""
    digest = hashlib.sha256(fold(text).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % 100 < HELD_OUT_PERCENT


def split(examples: Iterable[Example]) -> tuple[list[Example], list[Example]]:
    """Deterministic (train, held_out) split; the same text always lands on the same side."""
    train: list[Example] = []
    test: list[Example] = []
    for ex in examples:
        (test if is_held_out(ex.text) else train).append(ex)
    return train, test
