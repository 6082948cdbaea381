"""The guided questionnaire (content/offers/questionnaire.yml): questions and their answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Answer", "Question", "load_questions"]


@dataclass(frozen=True, slots=True)
class Answer:
    """A button: its id, labels per language, and the flags or signals it means."""

    id: str
    label: Mapping[str, str]
    flags: tuple[str, ...]
    protective: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Question:
    """One question of the questionnaire."""

    id: str
    text: Mapping[str, str]
    answers: tuple[Answer, ...]

    def answer(self, answer_id: str) -> Answer | None:
        """The answer with this id, if the question has one."""
        return next((a for a in self.answers if a.id == answer_id), None)


def _id(value: object) -> str:
    # YAML reads a bare yes/no as a boolean; a button id must be written as text
    if not isinstance(value, str):
        raise ValueError(f"questionnaire.yml: id {value!r} must be a quoted string")
    return value


def load_questions(raw: Mapping[str, Any]) -> tuple[Question, ...]:
    """Questions from the parsed YAML; raises ValueError on a malformed file."""
    try:
        return tuple(
            Question(
                id=_id(q["id"]),
                text={str(k): str(v) for k, v in q["text"].items()},
                answers=tuple(
                    Answer(
                        _id(a["id"]),
                        {str(k): str(v) for k, v in a["label"].items()},
                        tuple(a.get("flags") or ()),
                        tuple(a.get("protective") or ()),
                    )
                    for a in q["answers"]
                ),
            )
            for q in raw["questions"]
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"questionnaire.yml: malformed ({exc!r})") from exc
