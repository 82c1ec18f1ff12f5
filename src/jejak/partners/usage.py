"""Each partner's calls per day (calls, refusals, rate-limited, errors, distinct citizens)
and each connection's last use, counted in process memory and written in batches.

Writing a counter in every call would add a statement and a commit to each partner
check-in; as with the API tokens' last use (accounts/token_usage.py), each process notes
the calls and writes them together at most every FLUSH_SECONDS: one UPDATE per partner
and day, one INSERT of the day's new citizens, one UPDATE per partner of the
connections' last use. Five seconds' worth is a few hundred small rows at most; a flush
every second cost the partner path a few per cent of its throughput in `make bench`.
Calls noted since the last flush are lost if the process dies: the counts are for
watching partners, not for billing.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from jejak.partners.models import Connection, DailyUsage, DailyUser

FLUSH_SECONDS = 5.0
# A connection's stored last use is not moved more often than this.
LAST_USE_PRECISION = dt.timedelta(minutes=1)


@dataclass
class _Pending:
    counts: dict[tuple[int, dt.date], Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    users: set[tuple[int, dt.date, int]] = field(default_factory=set)
    used: dict[tuple[int, int], dt.datetime] = field(default_factory=dict)


_lock = threading.Lock()
_pending = _Pending()
_last_flush: dt.datetime | None = None
# (partner, account) -> the last use this process wrote.
_written: dict[tuple[int, int], dt.datetime] = {}


def outcome(status: int) -> str:
    if status >= 500:
        return "errors"
    if status == 429:
        return "limited"
    if status >= 400:
        return "refusals"
    return "ok"


def note(
    *, partner_id: int, account_id: int | None, status: int, now: dt.datetime | None = None
) -> None:
    """Count one call of the partner answered with `status` (for `account_id`, when the
    token named a citizen); flush the batch when it is due."""
    global _last_flush
    now = now or timezone.now()
    day = timezone.localdate(now)
    kind = outcome(status)
    with _lock:
        counts = _pending.counts[(partner_id, day)]
        counts["calls"] += 1
        if kind != "ok":
            counts[kind] += 1
            if kind == "limited":
                counts["refusals"] += 1
        if account_id is not None:
            _pending.users.add((partner_id, day, account_id))
            key = (partner_id, account_id)
            written = _written.get(key)
            if written is None or now - written >= LAST_USE_PRECISION:
                _pending.used[key] = now
        if _last_flush is not None and (now - _last_flush).total_seconds() < FLUSH_SECONDS:
            return
        batch = _take(now)
    if transaction.get_connection().in_atomic_block:
        # Never inside the caller's transaction: its rollback would drop the batch.
        transaction.on_commit(lambda: write(batch))
    else:
        write(batch)


def _take(now: dt.datetime) -> _Pending:
    global _pending, _last_flush
    batch, _pending = _pending, _Pending()
    _last_flush = now
    _written.update(batch.used)
    return batch


def flush(now: dt.datetime | None = None) -> None:
    """Write every noted call now (tests, the admin's figures, a process about to exit)."""
    with _lock:
        batch = _take(now or timezone.now())
    write(batch)


def write(batch: _Pending) -> None:
    if not (batch.counts or batch.users or batch.used):
        return
    with transaction.atomic():
        keys = sorted(batch.counts)
        DailyUsage.objects.bulk_create(
            [DailyUsage(partner_id=p, day=d) for p, d in keys], ignore_conflicts=True
        )
        for partner_id, day in keys:
            counts = batch.counts[(partner_id, day)]
            DailyUsage.objects.filter(partner_id=partner_id, day=day).update(
                **{name: F(name) + n for name, n in counts.items()}
            )
        DailyUser.objects.bulk_create(
            [DailyUser(partner_id=p, day=d, account_id=a) for p, d, a in sorted(batch.users)],
            ignore_conflicts=True,
        )
        # One UPDATE per partner: the batch spans a second, well within the precision.
        by_partner: dict[int, list[int]] = defaultdict(list)
        latest: dict[int, dt.datetime] = {}
        for (partner_id, account_id), at in batch.used.items():
            by_partner[partner_id].append(account_id)
            latest[partner_id] = max(at, latest.get(partner_id, at))
        for partner_id, accounts in by_partner.items():
            Connection.objects.filter(partner_id=partner_id, account_id__in=accounts).update(
                last_used_at=latest[partner_id]
            )


def reset() -> None:
    """Forget what this process noted (tests)."""
    global _pending, _last_flush
    with _lock:
        _pending = _Pending()
        _last_flush = None
        _written.clear()
