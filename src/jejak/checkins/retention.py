"""Check-ins are kept for tracing for JEJAK_CHECKIN_RETENTION_DAYS (3 weeks, as
PeduliLindungi did), then deleted for good: `jejak run-periodic` runs
`purge_expired_checkins` (UU 27/2022 wants personal data gone at the end of retention).

Some old check-ins must outlive the period, e.g. those a still-open tracing case points
at. Another app keeps them by appending a predicate to `KEEP_PREDICATES` in its
AppConfig.ready():

    from jejak.checkins import retention

    def _in_open_cases(cutoff: datetime) -> QuerySet:
        # ids of CheckIn rows older than `cutoff` that an open case still needs
        return CaseVisit.objects.filter(case__status__in=OPEN).values("checkin_id")

    retention.KEEP_PREDICATES.append(_in_open_cases)

Each predicate is called with the cutoff and returns a queryset of CheckIn ids (a
`values("…id")` or `values_list(..., flat=True)` of one column); it is used as a
subquery, never evaluated into memory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from jejak.audit import service as audit
from jejak.checkins.models import ACTIVE_Q, CheckIn, CheckInRequest

KeepPredicate = Callable[[dt.datetime], QuerySet[Any]]

# Callables returning querysets of CheckIn ids to keep past the retention period.
KEEP_PREDICATES: list[KeepPredicate] = []

# Rows deleted per transaction: short transactions, so check-ins never queue behind a purge.
BATCH = 2000


def cutoff(now: dt.datetime | None = None, days: int | None = None) -> dt.datetime:
    """Check-ins scanned before this moment are past retention."""
    days = settings.JEJAK_CHECKIN_RETENTION_DAYS if days is None else days
    return (now or timezone.now()) - dt.timedelta(days=days)


def expired_checkins(before: dt.datetime) -> QuerySet[CheckIn]:
    """Check-ins scanned before `before` that no predicate keeps (and nobody is inside)."""
    rows = CheckIn.objects.filter(scanned_at__lt=before).exclude(ACTIVE_Q)
    for keep in KEEP_PREDICATES:
        rows = rows.exclude(pk__in=keep(before))
    return rows


def purge_expired_checkins(
    *,
    now: dt.datetime | None = None,
    days: int | None = None,
    batch: int = BATCH,
    dry_run: bool = False,
) -> dict[str, int]:
    """Delete check-ins past retention in batches (their black-status alerts go with them),
    then the requests left without check-ins; audits one summary row. `dry_run` only
    counts what would go.

    Returns {"checkins": n, "requests": m}.
    """
    before = cutoff(now, days)
    if dry_run:
        expired = expired_checkins(before)
        staying = CheckIn.objects.exclude(pk__in=expired.values("pk")).values("request_id")
        emptied = CheckInRequest.objects.filter(received_at__lt=before).exclude(pk__in=staying)
        return {"checkins": expired.count(), "requests": emptied.count()}
    deleted = {"checkins": 0, "requests": 0}
    # Oldest ids first: ids grow with time, so walking the primary key finds the expired
    # rows at its start, with no index on scanned_at (each index is paid on every
    # check-in; checkins.models).
    while ids := list(expired_checkins(before).order_by("pk").values_list("pk", flat=True)[:batch]):
        with transaction.atomic():
            # Collector-based delete: it cascades to BlackStatusAlert.
            _, per_model = CheckIn.objects.filter(pk__in=ids).delete()
        deleted["checkins"] += per_model.get(CheckIn._meta.label, 0)
    # A request may hold a check-in a predicate keeps: only empty ones go (deleting a
    # request cascades to its check-ins). Rescans never had any.
    empty = CheckInRequest.objects.filter(received_at__lt=before, checkins__isnull=True)
    while ids := list(empty.order_by("pk").values_list("pk", flat=True)[:batch]):
        with transaction.atomic():
            deleted["requests"] += CheckInRequest.objects.filter(pk__in=ids).delete()[0]
    if deleted["checkins"] or deleted["requests"]:
        audit.record(
            actor=None,
            action="checkins.retention_purged",
            before=before.isoformat(),
            days=settings.JEJAK_CHECKIN_RETENTION_DAYS if days is None else days,
            checkins=deleted["checkins"],
            requests=deleted["requests"],
        )
    return deleted
