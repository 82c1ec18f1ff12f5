"""`jejak outbox-status`: each channel's backlog and send rate, for an operator watching a
mass event drain (docs/notifications.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db.models import Count, Min
from django.utils import timezone

from jejak.notifications import rates
from jejak.notifications.models import DUE_Q, Channel, Message


def _age(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class Command(BaseCommand):
    help = "Per channel: messages due now, how long the oldest has waited, the send rate."

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        due = {
            row["channel"]: row
            for row in Message.objects.filter(DUE_Q, next_attempt_at__lte=now)
            .values("channel")
            .annotate(count=Count("id"), oldest=Min("next_attempt_at"))
            .order_by()
        }
        configured = rates.configured()
        self.stdout.write(f"{'channel':<8} {'rate':>9} {'due':>8}  oldest due")
        for channel in Channel.values:
            row = due.get(channel)
            rate = configured[channel]
            count = row["count"] if row else 0
            oldest = _age((now - row["oldest"]).total_seconds()) if row else "-"
            self.stdout.write(
                f"{channel:<8} {str(rate) if rate else rates.UNLIMITED:>9} {count:>8}  {oldest}"
            )
        where = "shared through Redis" if rates.gateways().shared else "per process (no REDIS_URL)"
        self.stdout.write(f"rates counted {where}")
