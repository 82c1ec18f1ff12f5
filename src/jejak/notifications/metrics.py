"""The outbox on /metrics (core/metrics.py; docs/operations.md, "Metrics"): each send's
result, counted by the process that sent it, and the backlog, read at scrape time."""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client import Counter

from jejak.core import metrics
from jejak.notifications.models import DUE_Q, DUE_STATUSES, Channel, Message

SENDS = Counter(
    "jejak_outbox_sends",
    "Attempts to hand a message to its channel, by channel and result: sent, failed (to be "
    "retried) or gave_up (the last attempt failed).",
    ["channel", "result"],
)

BACKLOG = metrics.GaugeSpec(
    "jejak_outbox_backlog_messages",
    "Messages not yet sent, by channel and status: pending, failed (waiting to be retried), "
    "sending (claimed by a sender).",
    ("channel", "status"),
)
OLDEST = metrics.GaugeSpec(
    "jejak_outbox_oldest_due_seconds",
    "How long the oldest message due now has waited to be sent (0 when none is due).",
    ("channel",),
)


def read_backlog() -> Mapping[str, metrics.Samples]:
    """One grouped query over the outbox's due rows (its partial index keeps them apart
    from the sent ones the table keeps for a month)."""
    now = timezone.now()
    rows = (
        Message.objects.filter(DUE_Q)
        .values("channel", "status")
        .annotate(
            count=Count("id"), oldest=Min("next_attempt_at", filter=Q(next_attempt_at__lte=now))
        )
        .order_by()
    )
    backlog: dict[tuple[str, ...], float] = {
        (channel, str(status)): 0.0 for channel in Channel.values for status in DUE_STATUSES
    }
    oldest = dict.fromkeys(Channel.values, 0.0)
    for row in rows:
        backlog[(row["channel"], row["status"])] = float(row["count"])
        if row["oldest"] is not None:
            waited = max(0.0, (now - row["oldest"]).total_seconds())
            oldest[row["channel"]] = max(oldest.get(row["channel"], 0.0), waited)
    return {
        BACKLOG.name: backlog,
        OLDEST.name: {(channel,): seconds for channel, seconds in oldest.items()},
    }


def register() -> None:
    metrics.register("outbox", read_backlog, BACKLOG, OLDEST)
