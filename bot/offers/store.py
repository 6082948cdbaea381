"""Stored offer checks: the one verb an operator uses on them (confirm as a scam)."""

from __future__ import annotations

from sqlalchemy import update

from bot.storage import Database, OfferCheck
from bot.storage.models import utcnow


async def confirm_scam(db: Database, check_id: int) -> bool:
    """Mark a stored check as a confirmed scam; False when there is no such check.

    Later checks that share its phone number, e-mail, link or most of its text
    then say it was reported before. The console's handoff view will call this
    same verb.
    """
    async with db.transaction() as session:
        result = await session.execute(
            update(OfferCheck)
            .where(OfferCheck.id == check_id)
            .values(confirmed_scam=True, confirmed_at=utcnow())
        )
    return bool(getattr(result, "rowcount", 0))
