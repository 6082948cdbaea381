"""Buttons as a Viber keyboard, and button presses back to button ids.

A ``reply`` button makes the client send its ActionBody as an ordinary text message,
so each ActionBody is the button id behind a prefix that typed text is unlikely to
carry: https://creators.viber.com/docs/bots-api/resources/messaging/keyboards
"""

from __future__ import annotations

import html
import re
from typing import Any, Final

from bot.core.messages import Button

PREFIX: Final = "btn:"
_PRESS = re.compile(r"^btn:([A-Za-z0-9_.:\-]{1,64})$")
GRID: Final = 6  # a keyboard is six columns wide
PER_LINE: Final = 3  # more labels than this on one line get unreadable on a phone
# InputFieldState is an api level 4 field; messages that carry it declare so.
API_VERSION: Final = 4


def action_body(button_id: str) -> str:
    """What the client sends back when the button is pressed."""
    return PREFIX + button_id


def pressed(text: str) -> str | None:
    """The button id of a press, or None when the text was typed."""
    match = _PRESS.match(text.strip())
    return match.group(1) if match else None


def keyboard(rows: tuple[tuple[Button, ...], ...]) -> dict[str, Any]:
    """The keyboard JSON for rows of buttons; each row fills whole lines of the grid."""
    buttons: list[dict[str, Any]] = []
    for row in rows:
        for start in range(0, len(row), PER_LINE):
            line = row[start : start + PER_LINE]
            buttons.extend(_button(b, GRID // len(line)) for b in line)
    return {"Type": "keyboard", "DefaultHeight": False, "InputFieldState": "regular",
            "Buttons": buttons}


def _button(button: Button, columns: int) -> dict[str, Any]:
    return {
        "Columns": columns,
        "Rows": 1,
        "ActionType": "reply",
        "ActionBody": action_body(button.id),
        # Text understands a little HTML (<b>, <font>, <br>): labels are shown as written.
        "Text": html.escape(button.label, quote=False),
        # Without it the press would show up in the chat as "btn:<id>".
        "Silent": True,
    }
