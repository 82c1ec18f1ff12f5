"""How long the people affected by a breach are kept (docs/retention.md); registered in
apps.py, run by `jejak run-periodic`.

The snapshot of the people told of a breach is the proof that each was notified, which
the authority may ask for while the breach is handled and for a while after. It goes
JEJAK_BREACH_RETENTION_DAYS after the breach was closed; the breach itself (what, when,
counts, measures) names nobody and stays.
"""

from __future__ import annotations

import datetime as dt

from jejak.breaches.models import BreachSubject
from jejak.core import retention

SETTING = "JEJAK_BREACH_RETENTION_DAYS"


def purge_closed_breach_subjects(*, now: dt.datetime, dry_run: bool = False) -> dict[str, int]:
    """The affected people of breaches closed more than JEJAK_BREACH_RETENTION_DAYS ago."""
    days = retention.days(SETTING)
    before = now - dt.timedelta(days=days)
    rows = BreachSubject.objects.filter(breach__closed_at__lt=before)
    counts = {"subjects": retention.count_or_delete(rows, dry_run=dry_run, name="subjects")}
    if not dry_run:
        retention.record_purge("breaches.subjects_purged", before=before, days=days, counts=counts)
    return counts
