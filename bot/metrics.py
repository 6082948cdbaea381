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
OUTBOX_DEFERRED = Counter(
    "safemig_outbox_offline_deferrals_total",
    "Replies put back because the recipient had no open page here (web chat)",
    ["channel"],
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
NLU_SECONDS = Histogram(
    "safemig_nlu_parse_seconds",
    "Time to understand one message (any backend, fallbacks included)",
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
HANDOFFS_OPENED = Counter(
    "safemig_handoffs_opened_total", "Conversations put in the operators' queue", ["reason"]
)
HANDOFF_WAIT = Histogram(
    "safemig_handoff_wait_seconds",
    "From the queue to an operator's claim",
    ["urgent"],
    buckets=(10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 28800, 86400),
)
HANDOFFS_CLOSED = Counter(
    "safemig_handoffs_closed_total", "Handoffs closed, by outcome", ["outcome"]
)
FLOODED = Counter(
    "safemig_flood_limited_total", "Messages not answered because a user sent too many", ["channel"]
)
