"""Audit rows are kept JEJAK_AUDIT_RETENTION_DAYS (two years), then folded into daily
counts per action (`AuditDailyCount`) and deleted with their subject rows: they hold IP
addresses, masked NIKs and who read whose data, which outlive their use.

Why two years, and not the 21 days of the check-ins they describe: a citizen asks who
read their data long after the reading, a breach is often found months after it began
and its scope is read from these rows, and UU 27/2022 asks that processing be recorded.
`jejak run-periodic` runs `aggregate_expired` (through core/retention.py); docs/retention.md.

Rows that must outlive the period (a legal hold: the rows of the time a breach still
under investigation covers) are kept by appending to `KEEP_PREDICATES` a callable of the
cutoff returning a queryset of `AuditEvent` ids, as check-ins do (checkins/retention.py).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from jejak.audit import service as audit
from jejak.audit.models import AuditDailyCount, AuditEvent, AuditSubject

BATCH = 2000

KEEP_PREDICATES: list[Callable[[dt.datetime], QuerySet[Any]]] = []


def cutoff(now: dt.datetime) -> dt.datetime:
    """Audit rows written before this moment are past retention."""
    return now - dt.timedelta(days=settings.JEJAK_AUDIT_RETENTION_DAYS)


def aggregate_expired(
    *, now: dt.datetime, dry_run: bool = False, batch: int = BATCH
) -> dict[str, int]:
    """Add the rows past retention to their day's count per action, then delete them
    (and their subjects), a batch per transaction; returns {"events", "subjects"}."""
    before = cutoff(now)
    old = AuditEvent.objects.filter(at__lt=before)
    for keep in KEEP_PREDICATES:
        old = old.exclude(pk__in=keep(before))
    if dry_run:
        return {
            "events": old.count(),
            "subjects": AuditSubject.objects.filter(event__in=old.values("pk")).count(),
        }
    counts = {"events": 0, "subjects": 0}
    local = timezone.get_default_timezone()
    while ids := list(old.order_by("pk").values_list("pk", flat=True)[:batch]):
        with transaction.atomic():
            # Locked, so that two runners never count the same row twice: the second
            # waits, then finds the rows gone (PostgreSQL; SQLite writes one at a time).
            rows = list(
                AuditEvent.objects.select_for_update()
                .filter(pk__in=ids)
                .values_list("pk", "at", "action")
            )
            tally = Counter(
                (timezone.localtime(at, local).date(), action) for _pk, at, action in rows
            )
            for (day, action), n in sorted(tally.items()):
                added = AuditDailyCount.objects.filter(day=day, action=action).update(
                    count=F("count") + n
                )
                if not added:
                    AuditDailyCount.objects.create(day=day, action=action, count=n)
            _, per_model = AuditEvent.objects.filter(pk__in=[pk for pk, _at, _a in rows]).delete()
        counts["events"] += per_model.get(AuditEvent._meta.label, 0)
        counts["subjects"] += per_model.get(AuditSubject._meta.label, 0)
    if counts["events"]:
        detail: dict[str, Any] = {
            "before": before.isoformat(),
            "days": settings.JEJAK_AUDIT_RETENTION_DAYS,
            **counts,
        }
        audit.record(actor=None, action="audit.retention_aggregated", **detail)
    return counts
