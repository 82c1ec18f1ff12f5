"""How long staff rosters are kept (docs/retention.md); registered in apps.py, run by
`jejak run-periodic`.

A roster entry names an employee by phone number or NIK. An ended entry (ended by a
manager, or past its last valid day) explains the employee check-ins decided under it,
which go after 21 days, and the Satpol PP inspector compares the staff on site with the
roster of the weeks before: it goes JEJAK_ROSTER_RETENTION_DAYS after it ended.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from jejak.core import retention
from jejak.rosters.models import RosterEntry

SETTING = "JEJAK_ROSTER_RETENTION_DAYS"


def purge_ended_entries(*, now: dt.datetime, dry_run: bool = False) -> dict[str, int]:
    """Roster entries ended more than JEJAK_ROSTER_RETENTION_DAYS ago."""
    days = retention.days(SETTING)
    before = now - dt.timedelta(days=days)
    # valid_until is a local date, both ends included: the entry ended at its next midnight.
    last_day = timezone.localtime(before, timezone.get_default_timezone()).date()
    ended = RosterEntry.objects.filter(Q(ended_at__lt=before) | Q(valid_until__lt=last_day))
    counts = {"entries": retention.count_or_delete(ended, dry_run=dry_run, name="entries")}
    if not dry_run:
        retention.record_purge("rosters.entries_purged", before=before, days=days, counts=counts)
    return counts
