"""Prometheus metrics: counts and timings only, never message content."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

MESSAGES_IN = Counter(
    "safemig_messages_in_total", "Messages received from users", ["channel", "kind"]
)
MESSAGES_OUT = Counter("safemig_messages_out_total", "Replies delivered to users", ["channel"])
DUPLICATES = Counter(
    "safemig_duplicate_deliveries_total", "Platform retries dropped as duplicates", ["channel"]
)
SEND_ERRORS = Counter(
    "safemig_outbox_send_errors_total", "Failed delivery attempts", ["channel", "error"]
)
OUTBOX_LAG = Histogram(
    "safemig_outbox_lag_seconds",
    "From the decision to the delivery of a reply",
    ["channel"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600),
)
INTENTS = Counter("safemig_intents_total", "Understood intents", ["intent"])
DB_UNAVAILABLE = Counter(
    "safemig_database_unavailable_total", "Turns refused because the database did not answer"
)
