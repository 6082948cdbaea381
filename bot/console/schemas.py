"""The operator API's bodies and answers (they document /api/openapi.json)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

Outcome = Literal["information_given", "offer_verified", "referred_assistance",
                  "referred_police", "possible_victim", "no_answer"]

Queue = Literal["waiting", "active", "closed", "mine"]


class Login(BaseModel):
    """Credentials."""

    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class Me(BaseModel):
    """The logged-in operator and the token to send as X-CSRF-Token."""

    username: str
    role: str
    csrf_token: str


class Text(BaseModel):
    """A reply or a note."""

    text: str = Field(min_length=1, max_length=4000)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        # Refused here, so the answer is the documented validation error (422).
        if not value.replace("\x00", "").strip():
            raise ValueError("the text is empty")
        return value


class Transfer(BaseModel):
    """The operator to hand the chat to."""

    operator: str = Field(min_length=1, max_length=64)


class Close(BaseModel):
    """How the conversation ended."""

    outcome: Outcome


class HandoffSummary(BaseModel):
    """A handoff in a list: never a name, a number or a messenger id, only a pseudonym."""

    id: int
    pseudonym: str
    language: str
    channel: str
    reason: str
    urgent: bool
    risk: str | None
    status: str
    opened_at: datetime
    claimed_at: datetime | None
    closed_at: datetime | None
    waiting_seconds: int
    last_activity_at: datetime
    assignee: str | None
    outcome: str | None
    after_hours: bool
    position: int | None


class TranscriptMessage(BaseModel):
    """One message of the transcript; ``text`` is what the user typed: show it as text."""

    id: int
    sender: str
    kind: str
    text: str
    at: datetime
    operator: str | None


class Note(BaseModel):
    """An internal note."""

    id: int
    author: str | None
    text: str
    at: datetime


class Flag(BaseModel):
    """A risk flag or protective signal of a checked offer."""

    id: str
    title: str
    explanation: str = ""
    evidence: list[str] = []


class OfferCheckView(BaseModel):
    """A checked offer, as the user was told (numbers and names masked)."""

    id: int
    at: datetime
    source: str
    risk: str
    score: int
    flags: list[Flag]
    protective: list[Flag]


class HandoffDetail(HandoffSummary):
    """A handoff with its transcript, notes and offer checks."""

    messages: list[TranscriptMessage]
    notes: list[Note]
    offer_checks: list[OfferCheckView]


class OperatorView(BaseModel):
    """An active account, as a transfer target."""

    username: str
    role: str
    active_handoffs: int


class Canned(BaseModel):
    """A canned reply, for the operator to edit and send."""

    id: str
    title: str
    text: str


class WaitingStats(BaseModel):
    """The queue right now."""

    count: int
    urgent: int
    oldest_seconds: int | None


class OperatorLoad(BaseModel):
    """One operator's load and pace."""

    username: str
    role: str
    active_handoffs: int
    closed_7d: int
    median_first_reply_seconds_7d: int | None


class Overview(BaseModel):
    """What a supervisor watches."""

    waiting: WaitingStats
    operators: list[OperatorLoad]
    median_wait_seconds_7d: int | None
    outcomes_30d: dict[str, int]
    reasons_30d: dict[str, int]


class AuditView(BaseModel):
    """One audit entry."""

    at: datetime
    operator: str | None
    action: str
    handoff_id: int | None
    detail: dict[str, object]
