"""What the bot tells the user about a handoff, in the user's language."""

from __future__ import annotations

from dataclasses import dataclass

from bot.content import Content
from bot.core import menus
from bot.core.messages import Button, Outgoing
from bot.i18n import Translator

LONG_WAIT_MINUTES = 60


@dataclass(frozen=True, slots=True)
class QueueInfo:
    """Where a handoff stands, for the message the user gets."""

    position: int  # 1 = next; 0 = already with an operator
    wait_minutes: int
    open_now: bool
    hours: str  # the operator hours in words, in the user's language


def numbers(content: Content, language: str) -> dict[str, str]:
    """The verified numbers a handoff message may quote, ready for ``tr._(..., **numbers)``."""
    return {key: content.fill("{" + key + "}", language)
            for key in ("hotline", "hotline_abroad", "emergency")}


def back_to_bot(tr: Translator) -> tuple[Button, ...]:
    """The one-tap way out of a handoff."""
    return (Button("bot", tr._("Back to the bot")),)


def queued(tr: Translator, content: Content, info: QueueInfo, *, urgent: bool) -> Outgoing:
    """The user's place in the queue and a realistic wait, or the hours when closed."""
    if not info.open_now:
        text = tr._(
            "Operators answer {hours} (Moldova time). Right now nobody is on duty. You can "
            "write your message here: it will wait for the next operator. If you need help "
            "now, call the hotline {hotline} (free) or, in danger, {emergency}.",
            hours=info.hours, **numbers(content, tr.language))
        # 0 800 numbers cannot be dialled from abroad, where many of our users are.
        text += " " + tr._("From abroad: {hotline_abroad}.", **numbers(content, tr.language))
    elif info.position <= 0:
        text = tr._("An operator from the hotline is with you in this chat.")
    else:
        if info.wait_minutes >= LONG_WAIT_MINUTES:
            wait = tr._("The wait may be longer than an hour.")
        else:
            wait = tr.n_("The wait is usually about {n} minute.",
                         "The wait is usually about {n} minutes.", info.wait_minutes)
        # Urgent chats go first, but two urgent ones cannot both be first.
        first = (tr._("Your conversation is first in the queue, marked urgent.")
                 if urgent and info.position == 1
                 else tr._("Your place in the queue: {n}.", n=tr.number(info.position)))
        text = (tr._("An operator from the hotline will answer you here.") + " " + first + " "
                + wait + "\n\n"
                + tr._("Write here what happened: the operator will read it. The operator does "
                       "not see your name or phone number. To go back to the bot, write /bot."))
    return Outgoing(text, (back_to_bot(tr),), tr.language)


def still_waiting(tr: Translator) -> Outgoing:
    """The first message while waiting: it is kept for the operator."""
    return Outgoing(tr._("Thank you. The operator will see your message."),
                    (back_to_bot(tr),), tr.language)


def unclaimed(tr: Translator, content: Content) -> Outgoing:
    """Nobody claimed the chat in time: say so honestly and give the hotline."""
    text = tr._("All operators are busy right now. You are still in the queue and an operator "
                "will answer here. If it is urgent, call the hotline {hotline} (free) or "
                "{hotline_abroad} from abroad; in danger, {emergency}.",
                **numbers(content, tr.language))
    return Outgoing(text, (back_to_bot(tr),), tr.language)


def joined(tr: Translator) -> Outgoing:
    """An operator claimed the chat."""
    return Outgoing(tr._("An operator from the hotline has joined the chat. You can write "
                         "freely; the operator does not see your name or phone number."),
                    (back_to_bot(tr),), tr.language)


def from_operator(tr: Translator, text: str) -> Outgoing:
    """An operator's reply, marked so the user knows a person wrote it."""
    return Outgoing(tr._("Operator") + ":\n" + text, (), tr.language)


def closed(tr: Translator) -> Outgoing:
    """The operator closed the chat; the bot is back."""
    return Outgoing(tr._("The operator has closed this conversation. You are talking to the "
                         "bot again; you can ask for a person at any time."),
                    menus.main_menu(tr), tr.language)


def left(tr: Translator) -> Outgoing:
    """The user went back to the bot."""
    return Outgoing(tr._("You are talking to the bot again. You can ask for a person at "
                         "any time."), menus.main_menu(tr), tr.language)
