"""The terminal channel: `safemig chat`, the same core as every other channel.

Buttons are shown as numbered lines; typing the number presses the button.
"""

from __future__ import annotations

import asyncio
import getpass
from typing import TextIO

from bot.core.dialogue import ServiceUnavailable
from bot.core.messages import Button, Incoming, Kind, Outgoing
from bot.render import to_plain
from bot.service import Service

CHANNEL = "terminal"


class TerminalSender:
    """Prints replies and remembers the last buttons so a number can press one."""

    channel = CHANNEL

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.buttons: list[Button] = []

    async def send(self, address: str, message: Outgoing) -> None:
        """Print one reply with its numbered buttons."""
        lines = ["", to_plain(message.text)]
        flat = [b for row in message.buttons for b in row]
        if flat:
            self.buttons = flat
            lines.append("")
            lines.extend(f"  [{i}] {b.label}" for i, b in enumerate(flat, start=1))
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()


def to_incoming(line: str, sender: TerminalSender, user_key: str, address: str) -> Incoming:
    """A typed line: a number presses a button, anything else is text."""
    stripped = line.strip()
    if stripped.isdigit() and 1 <= int(stripped) <= len(sender.buttons):
        button = sender.buttons[int(stripped) - 1]
        return Incoming(channel=CHANNEL, user_key=user_key, address=address, kind=Kind.BUTTON,
                        button=button.id)
    return Incoming(channel=CHANNEL, user_key=user_key, address=address, text=line.rstrip("\n"))


async def run_chat(service: Service, stdin: TextIO, stdout: TextIO,
                   language: str | None = None) -> int:
    """Talk until end of input (Ctrl-D)."""
    sender = TerminalSender(stdout)
    service.add_sender(sender)
    address = getpass.getuser()
    user_key = service.keyring.user_key(CHANNEL, address)
    stdout.write("safemig: type a message, or the number of a button. Ctrl-D to leave.\n")
    first = (Incoming(channel=CHANNEL, user_key=user_key, address=address, kind=Kind.BUTTON,
                      button=f"lang:{language}") if language
             else Incoming(channel=CHANNEL, user_key=user_key, address=address, text="/start"))
    await _turn(service, first, stdout)
    while True:
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            stdout.write("\n")
            return 0
        await _turn(service, to_incoming(line, sender, user_key, address), stdout)


async def _turn(service: Service, incoming: Incoming, stdout: TextIO) -> None:
    try:
        await service.dialogue.handle(incoming)
    except ServiceUnavailable:
        stdout.write("! The database is not reachable; try again in a moment.\n")
        return
    await service.outbox.drain()
