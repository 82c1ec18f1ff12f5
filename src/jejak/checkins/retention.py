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
subquery, never evaluated into memory. On PostgreSQL it is also called with
`rows=HeldCheckIn` (a keyword) for the rows already held, and then returns ids of
`HeldCheckIn` rows (or, as above, ids that name check-ins in another table).

On PostgreSQL check-ins are partitioned by day (partitions.py, docs/partitions.md): a
day whose last moment is past the cutoff is dropped whole, its kept rows copied into
`HeldCheckIn` first; rows outside every day (the default partition) and held rows no
predicate keeps any more go row by row. A check-in is therefore kept at least
JEJAK_CHECKIN_RETENTION_DAYS, and on PostgreSQL deleted within the day after that.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import OperationalError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from jejak.audit import service as audit
from jejak.checkins import partitions
from jejak.checkins.models import ACTIVE_Q, CheckIn, CheckInRequest, HeldCheckIn
from jejak.core import shutdown

KeepPredicate = Callable[..., QuerySet[Any]]

# Callables returning querysets of CheckIn ids to keep past the retention period.
KEEP_PREDICATES: list[KeepPredicate] = []

# Rows deleted per transaction: short transactions, so check-ins never queue behind a purge.
BATCH = 2000

logger = logging.getLogger(__name__)


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


def released_held(before: dt.datetime) -> QuerySet[HeldCheckIn]:
    """Held check-ins (PostgreSQL) that no predicate keeps any more."""
    rows = HeldCheckIn.objects.filter(scanned_at__lt=before)
    for keep in KEEP_PREDICATES:
        rows = rows.exclude(pk__in=keep(before, rows=HeldCheckIn))
    return rows


def purge_expired_checkins(
    *,
    now: dt.datetime | None = None,
    days: int | None = None,
    batch: int = BATCH,
    dry_run: bool = False,
) -> dict[str, int]:
    """Delete check-ins past retention (their black-status alerts go with them), then the
    requests left without check-ins; audits one summary row. `dry_run` only counts what
    would go.

    On PostgreSQL whole days go (`partitions.drop`, the held rows copied first), then the
    rows outside every day's partition and the held rows no hold keeps any more, row by
    row; elsewhere every expired row goes row by row.

    Returns {"checkins": n, "requests": m}, and on PostgreSQL, when not zero, "days"
    dropped, rows "held" on the way, held rows "released", and days "waiting" for an
    open stay to close or "busy" (their lock not had in time: the next run drops them).
    """
    before = cutoff(now, days)
    partitioned = partitions.active()
    if dry_run:
        return _count(before, partitioned)
    deleted = {"checkins": 0, "requests": 0}
    extra: Counter[str] = Counter()
    if partitioned:
        extra = _drop_days(before)
        deleted["checkins"] += extra.pop("checkins", 0)
    deleted["checkins"] += _delete_rows(
        expired_checkins(_row_bound(before) if partitioned else before), batch
    )
    if partitioned:
        extra["released"] = _release_held(before, batch)
    deleted["requests"] = (_walk_empty_requests if partitioned else _delete_empty_requests)(
        before, batch
    )
    counts = {**deleted, **{k: v for k, v in extra.items() if v}}
    if deleted["checkins"] or deleted["requests"] or extra["released"]:
        _audit(before, settings.JEJAK_CHECKIN_RETENTION_DAYS if days is None else days, counts)
    return counts


def _audit(before: dt.datetime, days: int, counts: dict[str, int]) -> None:
    """The purge's one audit row; on PostgreSQL with what the days' drops did."""
    detail: dict[str, Any] = {"checkins": counts["checkins"], "requests": counts["requests"]}
    if extra := {k: v for k, v in counts.items() if k not in detail}:
        detail["partitions"] = extra
    audit.record(
        actor=None,
        action="checkins.retention_purged",
        before=before.isoformat(),
        days=days,
        **detail,
    )


def drop_expired_days(
    *, until: dt.date | None = None, now: dt.datetime | None = None
) -> dict[str, int]:
    """Drop the days past retention (PostgreSQL), those before `until` only if given:
    what `jejak partitions --drop-before` does without the rest of the purge. Audited
    as the purge is."""
    before = cutoff(now)
    if until is not None:
        before = min(before, partitions.Day(until).lo)
    done = _drop_days(before)
    counts = {"checkins": done["checkins"], "requests": 0, **{k: v for k, v in done.items() if v}}
    if done["checkins"] or done["held"]:
        _audit(before, settings.JEJAK_CHECKIN_RETENTION_DAYS, counts)
    del counts["requests"]
    return counts


def stopping() -> bool:
    """The process was asked to stop (SIGTERM): a purge ends after its current batch of
    rows, and the next run takes up the rest (a backlog of millions of requests is
    minutes of batches)."""
    return shutdown.requested.is_set()


def _delete_empty_requests(before: dt.datetime, batch: int) -> int:
    """Delete the requests received before `before` that no check-in names any more.

    A request may hold a check-in a predicate keeps: only empty ones go (deleting a
    request cascades to its check-ins). Rescans never had any; a held check-in does not
    keep its request (nothing reads it)."""
    deleted = 0
    empty = CheckInRequest.objects.filter(received_at__lt=before, checkins__isnull=True)
    while not stopping() and (
        ids := list(empty.order_by("pk").values_list("pk", flat=True)[:batch])
    ):
        with transaction.atomic():
            deleted += CheckInRequest.objects.filter(pk__in=ids).delete()[0]
    return deleted


def _walk_empty_requests(before: dt.datetime, batch: int) -> int:
    """`_delete_empty_requests` for check-ins partitioned by day.

    There the one statement joining requests and check-ins was planned as a hash of every
    check-in's request id for each batch of 2,000: 15 s a batch at a million check-ins
    (docs/partitions.md). So the requests are walked by id, a batch at a time, and each
    batch asks the check-ins which of its ids they still name (`request_id = ANY(...)`:
    an index look-up per id in each day's partition). Ids grow with the time a request is
    received, so those past the cutoff come first, and the walk ends at the first batch
    with none of them: without an index on `received_at` (which every request would pay
    for), looking further would read the whole table. Requests written out of order, as
    a bulk import might, are found up to the first 2,000 younger ones in a row."""
    deleted = last = 0
    while not stopping() and (
        rows := list(
            CheckInRequest.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "received_at")[:batch]
        )
    ):
        last = rows[-1][0]
        old = [pk for pk, received in rows if received < before]
        if not old:
            break
        named = set(
            CheckIn.objects.filter(request_id__in=old)
            .order_by()
            .values_list("request_id", flat=True)
        )
        if empty := [pk for pk in old if pk not in named]:
            with transaction.atomic():
                deleted += CheckInRequest.objects.filter(pk__in=empty).delete()[0]
    return deleted


def _delete_rows(rows: QuerySet[CheckIn], batch: int) -> int:
    deleted = 0
    # Oldest ids first: ids grow with time, so walking the primary key finds the expired
    # rows at its start, with no index on scanned_at (each index is paid on every
    # check-in; checkins.models).
    while not stopping() and (
        ids := list(rows.order_by("pk").values_list("pk", flat=True)[:batch])
    ):
        with transaction.atomic():
            # Collector-based delete: it cascades to BlackStatusAlert.
            _, per_model = CheckIn.objects.filter(pk__in=ids).delete()
        deleted += per_model.get(CheckIn._meta.label, 0)
    return deleted


def _drop_days(before: dt.datetime) -> Counter[str]:
    """Drop every day's partition that ended before `before`, oldest first."""
    done: Counter[str] = Counter()
    # A day a stopped run detached but did not drop goes first.
    done["days"], done["checkins"] = partitions.sweep(before)
    keep = [keep(before) for keep in KEEP_PREDICATES]
    for day in partitions.existing():
        if day.hi > before:
            break
        try:
            dropped = partitions.drop(day, keep)
        except OperationalError as exc:
            if not partitions.lock_timed_out(exc):
                raise
            logger.warning("check-in partition %s busy: dropped at the next run", day.name)
            done["busy"] += 1
            continue
        if dropped.waiting:
            logger.warning("check-in partition %s has a stay still open: kept", day.name)
            done["waiting"] += 1
            continue
        if dropped.busy or dropped.missing:
            # Another runner is at it (or was: the day is gone).
            done["busy"] += dropped.busy
            continue
        done["days"] += 1
        done["checkins"] += dropped.checkins
        done["held"] += dropped.held
    return done


def _row_bound(before: dt.datetime) -> dt.datetime:
    """Rows scanned before this go row by row: what lies outside every day's partition
    (in the default one), since the days up to `before` have been dropped."""
    days = partitions.existing()
    return min(before, days[0].lo) if days else before


def _release_held(before: dt.datetime, batch: int) -> int:
    """Delete the held rows no hold keeps any more, with what points at them."""
    if not HeldCheckIn.objects.exists():
        return 0
    released = 0
    rows = released_held(before)
    while not stopping() and (
        ids := list(rows.order_by("pk").values_list("pk", flat=True)[:batch])
    ):
        with transaction.atomic():
            partitions.cascade(ids)
            released += HeldCheckIn.objects.filter(pk__in=ids).delete()[0]
    return released


def _count(before: dt.datetime, partitioned: bool) -> dict[str, int]:
    """What a purge would delete now (a day waiting for an open stay counted as gone)."""
    if partitioned:
        # After the days ending before `before` go, everything older than the first day
        # left goes too.
        left = [d for d in partitions.existing() if d.hi > before]
        bound = min(before, left[0].lo) if left else before
    else:
        bound = before
    expired = expired_checkins(bound)
    staying = CheckIn.objects.exclude(pk__in=expired.values("pk")).values("request_id")
    emptied = CheckInRequest.objects.filter(received_at__lt=before).exclude(pk__in=staying)
    counts = {"checkins": expired.count(), "requests": emptied.count()}
    if partitioned and HeldCheckIn.objects.exists():
        counts["released"] = released_held(before).count()
    return counts
