"""The pure parts of the Viber adapter: signatures, button presses, keyboards."""

from __future__ import annotations

import json

import pytest

from bot.channels.viber import handler, keyboard
from bot.core.messages import Button, Kind
from tests.channels.viber.conftest import TOKEN, USER_ID

# CHANNELS.md section 0: viberbot's own test vector, re-verified.
VECTOR_BODY = b'{"event":"webhook","timestamp":4977069964384421269,"message_token":1478683725125}'
VECTOR_SIGNATURE = "d21b343448c8aee33b8e93768ef6ceb64a6ba6163099973a2b8bd028fea510ef"


@pytest.mark.parametrize(
    ("text", "kind", "button"),
    [
        ("btn:lang:ro", Kind.BUTTON, "lang:ro"),
        ("btn:topic:hotline_contacts", Kind.BUTTON, "topic:hotline_contacts"),
        (" btn:menu\n", Kind.BUTTON, "menu"),
        ("btn:", Kind.TEXT, None),
        ("btn:two words", Kind.TEXT, None),
        ("I pressed btn:menu", Kind.TEXT, None),
        ("BTN:menu", Kind.TEXT, None),
        ("btn:" + "x" * 65, Kind.TEXT, None),
    ],
)
def test_only_our_button_encoding_is_a_press(text: str, kind: Kind, button: str | None) -> None:
    body = json.dumps({"event": "message", "timestamp": 1, "message_token": 7,
                       "sender": {"id": USER_ID}, "message": {"type": "text", "text": text}})
    parsed = handler.parse(body.encode(), lambda raw: "key-" + raw[:4])
    assert isinstance(parsed, handler.UserMessage)
    incoming = parsed.incoming
    assert (incoming.kind, incoming.button) == (kind, button)
    assert incoming.text == ("" if button else text)
    assert (incoming.user_key, incoming.address, incoming.external_id) == (
        "key-7M5r", USER_ID, "message:7")


def test_signature_check_is_exact() -> None:
    assert handler.verify(TOKEN, VECTOR_BODY, VECTOR_SIGNATURE)
    assert handler.verify(TOKEN, VECTOR_BODY, VECTOR_SIGNATURE.upper())
    assert not handler.verify(TOKEN, VECTOR_BODY + b" ", VECTOR_SIGNATURE)
    assert not handler.verify(TOKEN + "x", VECTOR_BODY, VECTOR_SIGNATURE)
    assert not handler.verify(TOKEN, VECTOR_BODY, None)
    assert not handler.verify(TOKEN, VECTOR_BODY, "")
    assert not handler.verify(TOKEN, VECTOR_BODY, "ё" * 64)


def test_keyboard_rows_fill_whole_lines_of_the_grid() -> None:
    rows = ((Button("a", "A"),), (Button("b", "B"), Button("c", "<C & D>")),
            tuple(Button(f"n{i}", f"N{i}") for i in range(5)))
    buttons = keyboard.keyboard(rows)["Buttons"]
    assert [b["Columns"] for b in buttons] == [6, 3, 3, 2, 2, 2, 3, 3]
    assert [b["ActionBody"] for b in buttons][:3] == ["btn:a", "btn:b", "btn:c"]
    assert buttons[2]["Text"] == "&lt;C &amp; D&gt;"
    assert all(b["ActionType"] == "reply" and b["Rows"] == 1 for b in buttons)
    assert all(keyboard.pressed(b["ActionBody"]) for b in buttons)
