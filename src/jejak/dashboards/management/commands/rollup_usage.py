import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from jejak.dashboards.rollups import pending, roll_day


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {text!r}") from exc


class Command(BaseCommand):
    help = (
        "Roll up the check-ins of closed days for the usage dashboard (docs/dashboards.md, "
        "'Rollups'): the days not rolled up yet or still provisional, from --from (default: "
        "the first check-in's day) to --to (default: yesterday). Run once after the "
        "migration; `jejak run-periodic` then keeps them up to date."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="start", type=_date, help="first day (YYYY-MM-DD)")
        parser.add_argument("--to", dest="end", type=_date, help="last day (YYYY-MM-DD)")
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="recompute every closed day of --from..--to, final ones included "
            "(days whose check-ins are past retention would lose their counts)",
        )

    def handle(
        self,
        *args: Any,
        start: dt.date | None,
        end: dt.date | None,
        rebuild: bool,
        **options: Any,
    ) -> None:
        now = timezone.now()
        if rebuild:
            if start is None:
                raise CommandError("--rebuild needs --from")
            yesterday = timezone.localdate(now) - dt.timedelta(days=1)
            last = min(end, yesterday) if end else yesterday
            days = [start + dt.timedelta(days=n) for n in range((last - start).days + 1)]
        else:
            days = pending(now, start=start, end=end)
        began = time.monotonic()
        total = 0
        for day in days:
            total += roll_day(day, now=now)
        self.stdout.write(
            f"rolled up {len(days)} day(s), {total} check-ins, in {time.monotonic() - began:.1f} s"
        )
