"""The dialogue engine: one incoming message, one database transaction.

State change, transcript and replies (into the outbox) are committed
together, so a crash loses nothing and a platform retry is answered once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from bot import metrics
from bot.content import Content
from bot.core.messages import Incoming, Kind, Outgoing
from bot.core.turn import MAX_TEXT, OFFER_LIKE_MIN, CheckedOffer, OfferTools, State, Turn
from bot.crypto import Keyring
from bot.handoff import texts as handoff_texts
from bot.handoff.events import Event, EventBus
from bot.handoff.service import Handoffs
from bot.i18n import Catalogs
from bot.offers import OfferData, ReportedOffer, fingerprint
from bot.offers.privacy import mask_contacts
from bot.offers.serialize import report_for_storage
from bot.storage import (
    Conversation,
    Database,
    Handoff,
    HandoffNote,
    Message,
    OfferCheck,
    OutboxItem,
    ProcessedUpdate,
)
from bot.storage.models import utcnow

if TYPE_CHECKING:
    from nlu import NLU, Parse

log = logging.getLogger(__name__)

# Failures worth another try: a dropped connection, a busy database, or two first
# messages of a new user racing to create the conversation.
TRANSIENT = (OperationalError, IntegrityError, DBAPIError, OSError, TimeoutError)
# A person in distress may send many short messages; a script sends hundreds. Above this,
# messages are still kept (an operator may read them) but the bot does not answer them.
FLOOD_LIMIT = 30
FLOOD_WINDOW = timedelta(seconds=60)


class ServiceUnavailable(Exception):
    """The database did not answer; nothing was stored and the caller should say so."""


@dataclass(frozen=True, slots=True)
class Result:
    """What a turn produced; ``duplicate`` when the delivery was seen before."""

    replies: tuple[Outgoing, ...]
    conversation_id: int | None
    duplicate: bool = False
    events: tuple[Event, ...] = ()


class Dialogue:
    """Runs turns against the database and wakes the outbox afterwards."""

    def __init__(
        self,
        db: Database,
        keyring: Keyring,
        content: Content,
        catalogs: Catalogs,
        nlu: NLU | None = None,
        on_commit: Callable[[], None] | None = None,
        offers: OfferData | None = None,
        handoffs: Handoffs | None = None,
        events: EventBus | None = None,
    ) -> None:
        self.db = db
        self.keyring = keyring
        self.content = content
        self.catalogs = catalogs
        self.nlu = nlu
        self.on_commit = on_commit
        self.offers = offers
        self.offer_key = keyring.derive("offer fingerprints")
        self.handoffs = handoffs
        self.events = events

    async def handle(self, incoming: Incoming) -> Result:
        """Handle one incoming message; raises ServiceUnavailable when storage is down."""
        metrics.MESSAGES_IN.labels(incoming.channel, incoming.kind.value).inc()
        parse = await self._parse(incoming)
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception_type(TRANSIENT),
                stop=stop_after_attempt(3),
                wait=wait_exponential(multiplier=0.2, max=2),
                reraise=True,
            ):
                with attempt:
                    result = await self._turn(incoming, parse)
        except TRANSIENT as exc:
            metrics.DB_UNAVAILABLE.inc()
            log.error("turn_failed", extra={"channel": incoming.channel,
                                            "error": type(exc).__name__})
            raise ServiceUnavailable from exc
        if result.duplicate:
            metrics.DUPLICATES.labels(incoming.channel).inc()
            return result
        if self.on_commit is not None:
            self.on_commit()
        if self.events is not None:
            await self.events.publish(list(result.events))
        return result

    async def set_blocked(self, channel: str, user_key: str, blocked: bool) -> None:
        """Record that a user blocked (or unblocked) the bot; nothing is sent to a blocked user."""
        try:
            async with self.db.transaction() as session:
                await session.execute(
                    update(Conversation)
                    .where(Conversation.channel == channel, Conversation.user_key == user_key)
                    .values(blocked=blocked)
                )
        except TRANSIENT as exc:
            metrics.DB_UNAVAILABLE.inc()
            raise ServiceUnavailable from exc

    async def _parse(self, incoming: Incoming) -> Parse | None:
        if self.nlu is None or incoming.kind is not Kind.TEXT or not incoming.text.strip():
            return None
        if incoming.text.lstrip().startswith("/"):
            return None
        hint = await self._language_of(incoming)
        try:
            with metrics.NLU_SECONDS.time():
                parse = await self.nlu.parse(incoming.text[:MAX_TEXT], lang_hint=hint)
        except Exception:  # the NLU must never take the conversation down
            log.exception("nlu_failed")
            return None
        metrics.INTENTS.labels(parse.intent).inc()
        return parse

    async def _language_of(self, incoming: Incoming) -> str | None:
        try:
            async with self.db.sessions() as session:
                return await session.scalar(
                    select(Conversation.language).where(
                        Conversation.channel == incoming.channel,
                        Conversation.user_key == incoming.user_key,
                    )
                )
        except TRANSIENT:
            return None

    async def _turn(self, incoming: Incoming, parse: Parse | None) -> Result:
        async with self.db.transaction() as session:
            if incoming.external_id and await self._seen(session, incoming):
                return Result((), None, duplicate=True)
            conv = await self._conversation(session, incoming)
            if await self._flooding(session, conv):
                return await self._flood_reply(session, conv, incoming)
            handoff = (await self.handoffs.current(session, conv.id)
                       if self.handoffs is not None else None)
            state = State(conv.language, conv.step, dict(conv.context), conv.campaign,
                          handoff=handoff.status if handoff else None)
            turn = Turn(state, self.content, self.catalogs, parse,
                        await self._offer_tools(session, conv, incoming))
            replies = turn.run(incoming)
            events: list[Event] = []
            if state.erase:
                await self._erase(session, conv.id)
                if handoff is not None:
                    events.append(Event("handoff_changed", handoff.id, bool(handoff.urgent),
                                        "closed"))
            else:
                text = incoming.text[:MAX_TEXT]
                if incoming.kind is Kind.BUTTON:
                    text = (incoming.button or "")[:64]  # the operator sees which one
                if any(c.text is not None for c in turn.checks):
                    text = mask_contacts(text)  # an offer may carry anyone's number
                session.add(Message(conversation_id=conv.id, sender="user",
                                    kind=incoming.kind.value, text=text,
                                    meta=_parse_meta(parse)))
                for check in turn.checks:
                    session.add(self._offer_check(conv.id, check))
            conv.language, conv.step, conv.context = state.language, state.step, state.context
            conv.campaign = state.campaign
            conv.blocked = False
            conv.updated_at = utcnow()
            if not state.erase:
                events = await self._handoff(session, conv, turn, handoff, replies)
            for reply in replies:
                if not state.erase:
                    # A report quotes the offer back, numbers included: keep them masked.
                    said = mask_contacts(reply.text) if turn.checks else reply.text
                    session.add(Message(conversation_id=conv.id, sender="bot", text=said))
                session.add(OutboxItem(conversation_id=conv.id, channel=incoming.channel,
                                       payload=reply.to_json()))
            log.debug("turn", extra={"conversation": conv.id, "kind": incoming.kind.value,
                                     "intent": parse.intent if parse else None,
                                     "step": state.step, "replies": len(replies)})
            return Result(tuple(replies), conv.id, events=tuple(events))

    async def _handoff(self, session: AsyncSession, conv: Conversation, turn: Turn,
                       handoff: Handoff | None, replies: list[Outgoing]) -> list[Event]:
        """Carry out what the turn decided about the hotline: queue, relay, leave."""
        if self.handoffs is None:
            return []
        tr = self.catalogs.get(conv.language or "ro")
        events: list[Event] = []
        if turn.leave and handoff is not None:
            events += await self.handoffs.leave(session, handoff)
            replies.append(handoff_texts.left(tr))
            return events
        if turn.escalation is not None:
            was_open = handoff is not None
            handoff, opened = await self.handoffs.open(session, conv, turn.escalation)
            events += opened
            if not was_open:
                conv.context = {**conv.context, "handoff_acked": False}
            if handoff.status == "waiting" or not was_open:
                info = await self.handoffs.queue_info(session, handoff)
                replies.append(handoff_texts.queued(tr, self.content, info,
                                                    urgent=handoff.urgent))
        elif turn.queue_status and handoff is not None:
            info = await self.handoffs.queue_info(session, handoff)
            replies.append(handoff_texts.queued(tr, self.content, info, urgent=handoff.urgent))
        if turn.relayed and handoff is not None:
            events += await self.handoffs.relay(session, handoff)
            if handoff.status == "waiting" and not conv.context.get("handoff_acked"):
                conv.context = {**conv.context, "handoff_acked": True}
                replies.append(handoff_texts.still_waiting(tr))
        return events

    async def _flooding(self, session: AsyncSession, conv: Conversation) -> bool:
        recent = await session.scalar(
            select(func.count()).select_from(Message).where(
                Message.conversation_id == conv.id, Message.sender == "user",
                Message.created_at > utcnow() - FLOOD_WINDOW))
        return int(recent or 0) >= FLOOD_LIMIT

    async def _flood_reply(self, session: AsyncSession, conv: Conversation,
                           incoming: Incoming) -> Result:
        """Keep the message, answer the first one over the limit, then stay quiet."""
        metrics.FLOODED.labels(incoming.channel).inc()
        session.add(Message(conversation_id=conv.id, sender="user", kind=incoming.kind.value,
                            text=mask_contacts(incoming.text[:MAX_TEXT]),
                            meta={"flood": True}))
        events: list[Event] = []
        if self.handoffs is not None and (
                handoff := await self.handoffs.current(session, conv.id)) is not None:
            events = await self.handoffs.relay(session, handoff)  # the operator may read it
        warned = conv.context.get("flood_warned_at")
        now = utcnow()
        if warned and now.timestamp() - float(warned) < FLOOD_WINDOW.total_seconds():
            return Result((), conv.id, events=tuple(events))
        conv.context = {**conv.context, "flood_warned_at": now.timestamp()}
        tr = self.catalogs.get(conv.language or "ro")
        reply = Outgoing(tr._("You are sending many messages very quickly. Please wait a "
                              "minute; then I will answer again."), (), tr.language)
        session.add(OutboxItem(conversation_id=conv.id, channel=incoming.channel,
                               payload=reply.to_json()))
        log.warning("flood_limited", extra={"conversation": conv.id, "channel": incoming.channel})
        return Result((reply,), conv.id, events=tuple(events))

    async def _offer_tools(self, session: AsyncSession, conv: Conversation,
                           incoming: Incoming) -> OfferTools | None:
        if self.offers is None:
            return None
        reported: tuple[ReportedOffer, ...] = ()
        might_check = incoming.kind is Kind.TEXT and (
            conv.step == "offer:text" or len(incoming.text) >= OFFER_LIKE_MIN)
        if might_check:
            rows = await session.execute(
                select(OfferCheck.id, OfferCheck.fingerprint).where(OfferCheck.confirmed_scam))
            reported = tuple(ReportedOffer.from_dict({**fp, "id": str(check_id)})
                             for check_id, fp in rows.all() if fp)
        return OfferTools(self.offers, self.offer_key, reported)

    def _offer_check(self, conversation_id: int, check: CheckedOffer) -> OfferCheck:
        report = check.report
        print_ = (fingerprint(check.text, key=self.offer_key, data=self.offers).to_dict()
                  if check.text and self.offers is not None else {})
        return OfferCheck(conversation_id=conversation_id, source=check.source,
                          risk=report.risk, score=report.score,
                          report=report_for_storage(report), fingerprint=print_)

    async def _seen(self, session: AsyncSession, incoming: Incoming) -> bool:
        key = (incoming.channel, str(incoming.external_id))
        if await session.get(ProcessedUpdate, key) is not None:
            return True
        session.add(ProcessedUpdate(channel=key[0], external_id=key[1]))
        await session.flush()  # a concurrent twin fails here and is retried, then seen
        return False

    async def _conversation(self, session: AsyncSession, incoming: Incoming) -> Conversation:
        query = select(Conversation).where(
            Conversation.channel == incoming.channel, Conversation.user_key == incoming.user_key
        )
        if not self.db.is_sqlite:
            query = query.with_for_update()
        conv = await session.scalar(query)
        address = self.keyring.encrypt(incoming.address)
        if conv is None:
            conv = Conversation(channel=incoming.channel, user_key=incoming.user_key,
                                address_enc=address, step="start", context={})
            session.add(conv)
            await session.flush()
        elif self.keyring.decrypt(conv.address_enc) != incoming.address:
            conv.address_enc = address
        return conv

    async def _erase(self, session: AsyncSession, conversation_id: int) -> None:
        await session.execute(delete(Message).where(Message.conversation_id == conversation_id))
        await session.execute(
            delete(OutboxItem).where(OutboxItem.conversation_id == conversation_id)
        )
        # The user's checks go; a confirmed scam's hashes stay, unlinked, to warn others.
        await session.execute(delete(OfferCheck).where(
            OfferCheck.conversation_id == conversation_id, ~OfferCheck.confirmed_scam))
        await session.execute(update(OfferCheck).where(
            OfferCheck.conversation_id == conversation_id).values(conversation_id=None))
        # An open handoff closes; its notes go and the row, with no text, stays for the counts.
        handoff_ids = select(Handoff.id).where(Handoff.conversation_id == conversation_id)
        await session.execute(delete(HandoffNote).where(HandoffNote.handoff_id.in_(handoff_ids)))
        await session.execute(
            update(Handoff).where(Handoff.conversation_id == conversation_id,
                                  Handoff.status != "closed")
            .values(status="closed", outcome="user_erased", closed_at=utcnow()))
        await session.execute(update(Handoff).where(
            Handoff.conversation_id == conversation_id).values(conversation_id=None))
        log.info("conversation_erased", extra={"conversation": conversation_id})


def _parse_meta(parse: Parse | None) -> dict[str, object]:
    if parse is None:
        return {}
    return {"intent": parse.intent, "confidence": round(parse.confidence, 3),
            "language": parse.language, "countries": list(parse.countries())}
