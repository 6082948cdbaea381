"""Viber status codes as the outbox's typed send errors.

Viber answers HTTP 200 with a numeric ``status`` even when a call fails; only the
integer is reliable (``status_message`` wording varies). The codes and their meaning:
https://creators.viber.com/docs/bots-api/errors (source: github.com/Viber/creators-hub,
``docs/bots-api/errors.md``).
"""

from __future__ import annotations

from typing import Final

from bot.outbox import PermanentSendError, RecipientBlocked, SendError, Throttled

# Viber gives no Retry-After. Its limits are per hour (100 unanswered messages to one
# user) and per 10 s for bulk sends, so a minute is long enough not to hammer it and
# short enough that a reply still arrives while the user waits.
THROTTLE_RETRY_AFTER: Final = 60.0

# status → (Viber's name for it, what the outbox should do)
STATUS: Final[dict[int, tuple[str, type[SendError]]]] = {
    1: ("invalid url", PermanentSendError),
    2: ("invalid auth token", PermanentSendError),
    3: ("bad data", PermanentSendError),
    4: ("missing data", PermanentSendError),
    5: ("receiver not registered", RecipientBlocked),
    6: ("receiver not subscribed", RecipientBlocked),
    # 7, 8, 9, 15 are about *our* bot account: no user is to blame, so no user is marked.
    7: ("bot account blocked", PermanentSendError),
    8: ("bot account not found", PermanentSendError),
    9: ("bot account suspended", PermanentSendError),
    10: ("webhook not set", SendError),
    11: ("receiver has no suitable device", SendError),
    12: ("too many requests", Throttled),
    13: ("api version not supported by the receiver", PermanentSendError),
    14: ("message incompatible with min_api_version", PermanentSendError),
    15: ("bot account not authorized", PermanentSendError),
    16: ("in-chat reply not allowed", PermanentSendError),
    17: ("bot account is not inline", PermanentSendError),
    19: ("cannot send broadcast", PermanentSendError),
    20: ("broadcast not allowed", PermanentSendError),
    21: ("unsupported country", PermanentSendError),
    22: ("payment unsupported", PermanentSendError),
    # Billing limits lift with a top-up or a new month: worth the outbox's bounded retries.
    23: ("free messages exceeded", SendError),
    24: ("no balance", SendError),
}


def error_for_status(status: int) -> SendError:
    """The typed error for a non-zero Viber status (unknown codes are retried)."""
    name, kind = STATUS.get(status, ("general error", SendError))
    detail = f"viber status {status}: {name}"
    if kind is Throttled:
        return Throttled(THROTTLE_RETRY_AFTER)
    return kind(detail)


def error_for_http(status_code: int, retry_after: str | None = None) -> SendError:
    """The typed error for an HTTP status other than 200 (Viber itself never sends these)."""
    if status_code == 429:
        return Throttled(_seconds(retry_after))
    return SendError(f"viber http {status_code}")


def _seconds(header: str | None) -> float:
    try:
        value = float(header) if header else THROTTLE_RETRY_AFTER
    except ValueError:
        return THROTTLE_RETRY_AFTER
    return min(max(value, 1.0), 3600.0)
