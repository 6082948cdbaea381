"""Handoff state changes: the verbs ``open``, ``claim``, ``reply``, ``note``, ``transfer``,
``close`` and ``leave``, used by the dialogue, the console API and scripts alike.

Each verb works inside the caller's transaction and returns the events to
publish after the commit. Access is fail-closed and every refusal says why.
"""

from __future__ import annotations

import logging
import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.content import Content
from bot.core.messages import Outgoing
from bot.crypto import display_pseudonym
from bot.handoff import texts
from bot.handoff.events import Event
from bot.handoff.hours import OperatorHours
from bot.i18n import Catalogs, Translator
from bot.offers.privacy import mask_contacts
from bot.storage import (
    AuditEntry,
    Conversation,
    Handoff,
    HandoffNote,
    Message,
    OfferCheck,
    Operator,
    OutboxItem,
)
from bot.storage.models import utcnow

log = logging.getLogger(__name__)

REASONS = ("asked", "emergency", "high_risk_offer", "misunderstanding")
OUTCOMES = ("information_given", "offer_verified", "referred_assistance", "referred_police",
            "possible_victim", "no_answer")
USER_LEFT = "user_left"  # not an operator's outcome: the user went back to the bot
OPEN = ("waiting", "active")
RISK_ORDER = {"low": 0, "medium": 1, "high": 2}
MAX_REPLY = 4000
DEFAULT_WAIT = timedelta(minutes=5)  # said before there is any history to measure
ONLINE = timedelta(minutes=5)  # an operator seen this recently is counted as on duty
# The console refreshes an open chat on every event; one "read" entry per
# operator and chat in this window says the same as one per refresh.
READ_AUDIT_WINDOW = timedelta(minutes=10)


class HandoffError(Exception):
    """A verb refused; ``status`` is the HTTP status the API answers with."""

    status = 422

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(HandoffError):
    """No such handoff (or operator)."""

    status = 404


class Conflict(HandoffError):
    """The handoff is not in a state that allows this (someone else holds it, it is closed)."""

    status = 409


class Forbidden(HandoffError):
    """The operator's role does not allow this."""

    status = 403


@dataclass(frozen=True, slots=True)
class Escalation:
    """The dialogue's decision to hand the user over."""

    reason: str
    urgent: bool = False


class Handoffs:
    """The verbs, with what they need to talk to the user in the user's language."""

    def __init__(self, content: Content, catalogs: Catalogs, hours: OperatorHours) -> None:
        self.content = content
        self.catalogs = catalogs
        self.hours = hours

    # --- the user's side (inside a dialogue turn) ---------------------------------------

    @staticmethod
    async def current(session: AsyncSession, conversation_id: int) -> Handoff | None:
        """The conversation's open handoff, if any."""
        return await session.scalar(
            select(Handoff).where(Handoff.conversation_id == conversation_id,
                                  Handoff.status.in_(OPEN))
            .order_by(Handoff.id.desc()).limit(1))

    async def open(self, session: AsyncSession, conv: Conversation, escalation: Escalation,
                   *, now: datetime | None = None) -> tuple[Handoff, list[Event]]:
        """Put the conversation in the queue, or raise an open handoff's urgency."""
        now = now or utcnow()
        handoff = await self.current(session, conv.id)
        risk = await _highest_risk(session, conv.id)
        if handoff is not None:
            changed = False
            if escalation.urgent and not handoff.urgent:
                handoff.urgent, handoff.reason, changed = True, "emergency", True
            if risk and RISK_ORDER[risk] > RISK_ORDER.get(handoff.risk or "", -1):
                handoff.risk, changed = risk, True
            handoff.last_activity_at = now
            events = [_event("handoff_changed", handoff)] if changed else []
            return handoff, events
        handoff = Handoff(
            conversation_id=conv.id, status="waiting", reason=escalation.reason,
            urgent=escalation.urgent, risk=risk, language=conv.language or "ro",
            channel=conv.channel, pseudonym=display_pseudonym(conv.user_key),
            after_hours=not self.hours.is_open(now), opened_at=now, last_activity_at=now)
        session.add(handoff)
        await session.flush()
        metrics.HANDOFFS_OPENED.labels(handoff.reason).inc()
        log.info("handoff_opened", extra={"handoff": handoff.id, "reason": handoff.reason,
                                          "urgent": handoff.urgent, "channel": handoff.channel,
                                          "after_hours": handoff.after_hours})
        return handoff, [_event("handoff_opened", handoff)]

    async def queue_info(self, session: AsyncSession, handoff: Handoff,
                         *, now: datetime | None = None) -> texts.QueueInfo:
        """The user's place in the queue and a wait estimate measured from recent claims."""
        now = now or utcnow()
        hours = self.hours.describe(handoff.language)
        if handoff.status == "active":
            return texts.QueueInfo(0, 0, True, hours)
        earlier = or_(Handoff.opened_at < handoff.opened_at,
                      and_(Handoff.opened_at == handoff.opened_at, Handoff.id < handoff.id))
        before = (and_(Handoff.urgent.is_(True), earlier) if handoff.urgent
                  else or_(Handoff.urgent.is_(True), earlier))
        ahead = await session.scalar(
            select(func.count()).select_from(Handoff).where(Handoff.status == "waiting", before))
        position = int(ahead or 0) + 1
        typical = await median_wait(session, now)
        online = await session.scalar(select(func.count()).select_from(Operator).where(
            Operator.active.is_(True), Operator.last_seen_at >= now - ONLINE))
        rounds = math.ceil(position / max(1, int(online or 0)))
        minutes = max(1, math.ceil(rounds * (typical or DEFAULT_WAIT).total_seconds() / 60))
        return texts.QueueInfo(position, minutes, self.hours.is_open(now), hours)

    async def relay(self, session: AsyncSession, handoff: Handoff) -> list[Event]:
        """The user wrote while in a handoff: the operators hear of it."""
        handoff.last_activity_at = utcnow()
        return [_event("message", handoff)]

    async def leave(self, session: AsyncSession, handoff: Handoff) -> list[Event]:
        """The user went back to the bot: the handoff closes."""
        await self._finish(session, handoff, USER_LEFT, None)
        return [_event("handoff_changed", handoff)]

    # --- the operator's side (the console API) -----------------------------------------

    async def get(self, session: AsyncSession, handoff_id: int) -> Handoff:
        """One handoff, or NotFound."""
        handoff = await session.get(Handoff, handoff_id)
        if handoff is None:
            raise NotFound("no such handoff")
        return handoff

    async def claim(self, session: AsyncSession, handoff_id: int,
                    operator: Operator) -> tuple[Handoff, list[Event]]:
        """Take a waiting handoff. Of two operators claiming at once, exactly one wins.

        The conditional UPDATE is the arbiter on both engines: the database lets
        only one statement change a row that is still ``waiting``.
        """
        await self._lock(session, handoff_id)
        now = utcnow()
        result = await session.execute(
            update(Handoff).where(Handoff.id == handoff_id, Handoff.status == "waiting")
            .values(status="active", assignee_id=operator.id, claimed_at=now,
                    last_activity_at=now)
            .execution_options(synchronize_session=False))
        if int(getattr(result, "rowcount", 0) or 0) != 1:
            handoff = await session.get(Handoff, handoff_id)
            if handoff is None:
                raise NotFound("no such handoff")
            raise Conflict("already claimed" if handoff.status == "active" else "closed")
        handoff = await self.get(session, handoff_id)
        await session.refresh(handoff)
        metrics.HANDOFF_WAIT.labels(str(handoff.urgent).lower()).observe(
            (now - handoff.opened_at).total_seconds())
        self._audit(session, operator, "claim", handoff)
        await self._tell_user(session, handoff, texts.joined(self._tr(handoff)))
        return handoff, [_event("handoff_changed", handoff)]

    async def reply(self, session: AsyncSession, handoff_id: int, operator: Operator,
                    text: str) -> tuple[Message, list[Event]]:
        """Send the operator's text to the user through the outbox."""
        text = _clean(text, MAX_REPLY)
        handoff = _held(await self._lock(session, handoff_id), operator, allow_supervisor=False)
        now = utcnow()
        handoff.first_reply_at = handoff.first_reply_at or now
        handoff.last_activity_at = now
        message = await self._tell_user(session, handoff, texts.from_operator(
            self._tr(handoff), text), sender="operator", operator=operator, stored_text=text)
        self._audit(session, operator, "reply", handoff)
        return message, [_event("message", handoff)]

    async def note(self, session: AsyncSession, handoff_id: int, operator: Operator,
                   text: str) -> tuple[HandoffNote, list[Event]]:
        """An internal note; never sent to the user."""
        text = _clean(text, MAX_REPLY)
        handoff = await self.get(session, handoff_id)
        if handoff.conversation_id is None:
            # Notes are about a person; once they erased their data, none may be added.
            raise Conflict("the user erased this conversation")
        note = HandoffNote(handoff_id=handoff.id, operator_id=operator.id, text=text)
        session.add(note)
        await session.flush()
        self._audit(session, operator, "note", handoff)
        return note, [_event("note", handoff)]

    async def transfer(self, session: AsyncSession, handoff_id: int, operator: Operator,
                       to_username: str) -> tuple[Handoff, list[Event]]:
        """Hand an active (or waiting) chat to another operator."""
        target = await session.scalar(select(Operator).where(
            Operator.username == to_username, Operator.active.is_(True)))
        if target is None:
            raise NotFound("no such active operator")
        handoff = await self._lock(session, handoff_id)
        if handoff.status == "closed":
            raise Conflict("closed")
        if handoff.status == "active":
            _held(handoff, operator, allow_supervisor=True)
        elif operator.role != "supervisor":
            raise Conflict("claim it first")
        now = utcnow()
        was_waiting = handoff.status == "waiting"
        handoff.status, handoff.assignee_id = "active", target.id
        handoff.claimed_at = handoff.claimed_at or now
        handoff.last_activity_at = now
        self._audit(session, operator, "transfer", handoff, to=target.username)
        if was_waiting:  # as with a claim: the user learns that a person took the chat
            await self._tell_user(session, handoff, texts.joined(self._tr(handoff)))
        return handoff, [_event("handoff_changed", handoff)]

    async def close(self, session: AsyncSession, handoff_id: int, operator: Operator,
                    outcome: str) -> tuple[Handoff, list[Event]]:
        """Close with an outcome; the bot takes the chat back and tells the user."""
        if outcome not in OUTCOMES:
            raise HandoffError("unknown outcome; one of " + ", ".join(OUTCOMES))
        handoff = await self._lock(session, handoff_id)
        if handoff.status == "closed":
            raise Conflict("already closed")
        if handoff.status == "waiting" and operator.role != "supervisor":
            raise Conflict("claim it first")
        if handoff.status == "active":
            _held(handoff, operator, allow_supervisor=True)
        await self._finish(session, handoff, outcome, operator)
        await self._tell_user(session, handoff, texts.closed(self._tr(handoff)))
        self._audit(session, operator, "close", handoff, outcome=outcome)
        return handoff, [_event("handoff_changed", handoff)]

    async def remind_unclaimed(self, session: AsyncSession, after: timedelta) -> list[Event]:
        """Tell users nobody claimed their chat in time; the handoff stays in the queue.

        Each handoff gets this once. After-hours handoffs were told the hours already.
        """
        now = utcnow()
        if not self.hours.is_open(now):
            return []
        stale = (await session.scalars(select(Handoff).where(
            Handoff.status == "waiting", Handoff.unclaimed_notice_at.is_(None),
            Handoff.after_hours.is_(False), Handoff.conversation_id.is_not(None),
            Handoff.opened_at < now - after).order_by(Handoff.id).limit(100))).all()
        reminded = []
        for candidate in stale:
            handoff = await self._lock(session, candidate.id)
            if handoff.status != "waiting" or handoff.unclaimed_notice_at is not None or (
                    handoff.conversation_id is None):
                continue  # claimed, closed or reminded since the query above
            handoff.unclaimed_notice_at = now
            await self._tell_user(session, handoff, texts.unclaimed(self._tr(handoff),
                                                                    self.content))
            reminded.append(handoff)
        return [_event("message", h) for h in reminded]

    # --- reading ------------------------------------------------------------------------

    async def read(self, session: AsyncSession, handoff: Handoff,
                   operator: Operator) -> dict[str, Any]:
        """The transcript, notes and offer checks of a handoff; the read is audited."""
        if not await self._read_recently(session, operator, handoff):
            self._audit(session, operator, "read", handoff)
        messages: list[dict[str, Any]] = []
        checks: list[OfferCheck] = []
        if handoff.conversation_id is not None:
            rows = await session.execute(
                select(Message, Operator.username).outerjoin(
                    Operator, Operator.id == Message.operator_id)
                .where(Message.conversation_id == handoff.conversation_id)
                .order_by(Message.id))
            messages = [{"id": m.id, "sender": m.sender, "kind": m.kind, "text": m.text,
                         "at": m.created_at, "operator": name} for m, name in rows.all()]
            checks = list((await session.scalars(
                select(OfferCheck).where(OfferCheck.conversation_id == handoff.conversation_id)
                .order_by(OfferCheck.id))).all())
        notes = await session.execute(
            select(HandoffNote, Operator.username)
            .outerjoin(Operator, Operator.id == HandoffNote.operator_id)
            .where(HandoffNote.handoff_id == handoff.id).order_by(HandoffNote.id))
        return {"messages": messages,
                "notes": [{"id": n.id, "author": name, "text": n.text, "at": n.created_at}
                          for n, name in notes.all()],
                "offer_checks": checks}

    # --- helpers ------------------------------------------------------------------------

    def _tr(self, handoff: Handoff) -> Translator:
        return self.catalogs.get(handoff.language)

    @staticmethod
    async def _lock(session: AsyncSession, handoff_id: int) -> Handoff:
        """The handoff, read afresh and locked, its conversation locked first; or NotFound.

        A user's message locks the conversation and then touches the handoff; a verb
        must take the locks in the same order, or the two deadlock on PostgreSQL (the
        verb's message to the user needs a share lock on the conversation). The handoff's
        own lock then serialises verbs on one handoff. SQLite serialises every writer.
        """
        conversation_id = await session.scalar(
            select(Handoff.conversation_id).where(Handoff.id == handoff_id))
        if conversation_id is not None:
            await session.execute(select(Conversation.id)
                                  .where(Conversation.id == conversation_id).with_for_update())
        handoff = await session.scalar(
            select(Handoff).where(Handoff.id == handoff_id).with_for_update()
            .execution_options(populate_existing=True))
        if handoff is None:
            raise NotFound("no such handoff")
        return handoff

    async def _tell_user(self, session: AsyncSession, handoff: Handoff, reply: Outgoing, *,
                         sender: str = "bot", operator: Operator | None = None,
                         stored_text: str | None = None) -> Message:
        """Queue a reply to the user (same transaction) and keep it in the transcript."""
        if handoff.conversation_id is None:
            raise Conflict("the user erased this conversation")
        conv = await session.get(Conversation, handoff.conversation_id)
        if conv is None:
            raise Conflict("the user erased this conversation")
        message = Message(conversation_id=conv.id, sender=sender,
                          text=stored_text if stored_text is not None else reply.text,
                          operator_id=operator.id if operator else None)
        session.add(message)
        session.add(OutboxItem(conversation_id=conv.id, channel=conv.channel,
                               payload=reply.to_json()))
        await session.flush()
        return message

    async def _finish(self, session: AsyncSession, handoff: Handoff, outcome: str,
                      operator: Operator | None) -> None:
        now = utcnow()
        metrics.HANDOFFS_CLOSED.labels(outcome).inc()
        if operator is None:
            log.info("handoff_left", extra={"handoff": handoff.id, "outcome": outcome})
        handoff.status, handoff.outcome = "closed", outcome
        handoff.closed_at = handoff.last_activity_at = now
        if handoff.conversation_id is None:
            return
        conv = await session.get(Conversation, handoff.conversation_id)
        if conv is not None and conv.step == "handoff":
            conv.step = "menu"
        # A call-back number the user wrote is for this handoff only: mask it from now on.
        written = await session.scalars(select(Message).where(
            Message.conversation_id == handoff.conversation_id, Message.sender == "user",
            Message.created_at >= handoff.opened_at))
        for message in written:
            masked = mask_contacts(message.text)
            if masked != message.text:
                message.text = masked

    @staticmethod
    async def _read_recently(session: AsyncSession, operator: Operator,
                             handoff: Handoff) -> bool:
        recent = await session.scalar(select(AuditEntry.id).where(
            AuditEntry.handoff_id == handoff.id, AuditEntry.operator_id == operator.id,
            AuditEntry.action == "read", AuditEntry.at >= utcnow() - READ_AUDIT_WINDOW).limit(1))
        return recent is not None

    @staticmethod
    def _audit(session: AsyncSession, operator: Operator, action: str, handoff: Handoff,
               **detail: Any) -> None:
        log.info("handoff_" + action, extra={"handoff": handoff.id, "operator": operator.id,
                                             **detail})
        session.add(AuditEntry(operator_id=operator.id, action=action, handoff_id=handoff.id,
                               detail=detail))


async def median_wait(session: AsyncSession, now: datetime, *,
                      days: int = 14) -> timedelta | None:
    """The median time to a claim over the last ``days`` (in-hours handoffs only)."""
    rows = await session.execute(
        select(Handoff.opened_at, Handoff.claimed_at).where(
            Handoff.claimed_at.is_not(None), Handoff.after_hours.is_(False),
            Handoff.opened_at >= now - timedelta(days=days))
        .order_by(Handoff.id.desc()).limit(200))
    waits = [(claimed - opened).total_seconds() for opened, claimed in rows.all() if claimed]
    return timedelta(seconds=statistics.median(waits)) if waits else None


async def _highest_risk(session: AsyncSession, conversation_id: int) -> str | None:
    risks = (await session.scalars(
        select(OfferCheck.risk).where(OfferCheck.conversation_id == conversation_id))).all()
    known = [r for r in risks if r in RISK_ORDER]
    return max(known, key=RISK_ORDER.__getitem__) if known else None


def _held(handoff: Handoff, operator: Operator, *, allow_supervisor: bool) -> Handoff:
    """The handoff if the operator holds it (or is a supervisor, when allowed); else Conflict."""
    if handoff.status != "active":
        raise Conflict("claim it first" if handoff.status == "waiting" else "closed")
    if handoff.assignee_id != operator.id and not (
            allow_supervisor and operator.role == "supervisor"):
        raise Conflict("another operator holds this chat")
    return handoff


def _clean(text: str, limit: int) -> str:
    text = text.replace("\x00", "").strip()
    if not text:
        raise HandoffError("the text is empty")
    if len(text) > limit:
        raise HandoffError(f"the text is longer than {limit} characters")
    return text


def _event(kind: str, handoff: Handoff) -> Event:
    return Event(kind, handoff.id, bool(handoff.urgent), handoff.status)
