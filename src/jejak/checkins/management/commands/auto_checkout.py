"""`jejak auto-checkout`: close every stay that is over (for cron, when no task worker runs)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jejak.checkins import checkout


class Command(BaseCommand):
    help = "Check out every visitor whose planned stay is over; prints how many."

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        while closed := checkout.auto_checkout():
            total += closed
        self.stdout.write(f"{total} checked out")
