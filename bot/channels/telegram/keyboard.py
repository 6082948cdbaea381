"""The core's button rows → a Telegram inline keyboard.

The button id travels as ``callback_data`` unchanged, so a press comes back as
the same stable id. Telegram takes 1-64 bytes there
(https://core.telegram.org/bots/api#inlinekeyboardbutton); a longer id cannot be
shortened reversibly without state, so it is left out and logged, and the
tests check that every id the core makes fits.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit

from bot.core.messages import Button

log = logging.getLogger(__name__)

MAX_CALLBACK_DATA = int(InlineKeyboardButtonLimit.MAX_CALLBACK_DATA)  # bytes


def fits(button_id: str) -> bool:
    """Whether an id can be sent as callback_data."""
    return 1 <= len(button_id.encode("utf-8")) <= MAX_CALLBACK_DATA


def inline_keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    """One inline button per core button, rows kept; None when there are none."""
    keyboard: list[list[InlineKeyboardButton]] = []
    for row in rows:
        buttons = []
        for button in row:
            if not fits(button.id) or not button.label.strip():
                # A content or code bug: the rest of the reply is still worth sending.
                log.error("telegram_button_dropped",
                          extra={"id_bytes": len(button.id.encode("utf-8"))})
                continue
            # Labels are plain text on Telegram (no parse mode): no escaping.
            buttons.append(InlineKeyboardButton(text=button.label, callback_data=button.id))
        if buttons:
            keyboard.append(buttons)
    return InlineKeyboardMarkup(keyboard) if keyboard else None
