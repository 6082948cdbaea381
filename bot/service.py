"""Wires the parts together: one object per process that every channel shares."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.content import Content, load_content
from bot.core.dialogue import Dialogue
from bot.crypto import Keyring
from bot.handoff import EventBus, Handoffs, OperatorHours
from bot.i18n import Catalogs
from bot.offers import OfferData, load_data
from bot.outbox import OutboxWorker, Sender
from bot.settings import REPO_ROOT, Settings
from bot.storage import Database

if TYPE_CHECKING:
    from nlu import NLU

log = logging.getLogger(__name__)


@dataclass
class Service:
    """The database, content, NLU, dialogue and outbox of one process."""

    settings: Settings
    db: Database
    keyring: Keyring
    content: Content
    catalogs: Catalogs
    nlu: NLU | None
    dialogue: Dialogue
    outbox: OutboxWorker
    handoffs: Handoffs
    events: EventBus
    senders: dict[str, Sender] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings, senders: Mapping[str, Sender], *,
              with_nlu: bool = True, nlu: NLU | None = None) -> Service:
        """Build every part; the database must already be migrated.

        ``nlu`` hands in an already trained model (tests share one); otherwise
        the configured backend is loaded unless ``with_nlu`` is false.
        """
        db = Database(settings.database)
        keyring = Keyring(settings.secret, settings.previous_secrets)
        content = load_content(settings.content_dir, settings.retention_days)
        catalogs = Catalogs(settings.locales_dir)
        if nlu is None and with_nlu:
            nlu = load_nlu(settings)
        outbox = OutboxWorker(db, keyring, senders)
        # Any event may mean a reply was queued by another process: look at the outbox.
        events = EventBus(db, on_event=lambda _event: outbox.wake())
        handoffs = Handoffs(content, catalogs,
                            OperatorHours.parse(settings.operator_hours, settings.timezone))
        dialogue = Dialogue(db, keyring, content, catalogs, nlu, on_commit=outbox.wake,
                            offers=load_offer_data(settings), handoffs=handoffs, events=events)
        return cls(settings, db, keyring, content, catalogs, nlu, dialogue, outbox, handoffs,
                   events, dict(senders))

    def add_sender(self, sender: Sender) -> None:
        """Register a channel's sender with the outbox."""
        self.senders[sender.channel] = sender
        self.outbox.senders[sender.channel] = sender


def load_offer_data(settings: Settings) -> OfferData:
    """The offer check's data: CONTENT_DIR's offers/ when it has one, else the repository's."""
    if (settings.content_dir / "offers").is_dir():
        return load_data(settings.content_dir)
    return load_data(REPO_ROOT / "content")


def load_nlu(settings: Settings) -> NLU | None:
    """The configured NLU backend; None (buttons only) when it cannot be loaded."""
    try:
        from nlu import build_nlu
    except ImportError:
        log.warning("nlu_unavailable")
        return None
    return build_nlu(
        settings.nlu_backend,
        data_dir=REPO_ROOT / "nlu" / "data",
        cache_dir=settings.nlu_cache_dir,
        rasa_url=settings.rasa_url or None,
    )
