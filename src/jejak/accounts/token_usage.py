"""When each API token was last used, written in batches.

`last_used_at` tells a live token from a forgotten one; a minute's precision is plenty.
Writing it in the request that uses the token cost a statement and a commit of its own
on most check-ins (a phone checks in a few times a day, so nearly every use is the
first of its minute). Each process instead notes the uses and writes them together, at
most every FLUSH_SECONDS, in one UPDATE; uses noted since the last flush are lost if the
process dies, which only makes a token look a little less recently used.
"""

from __future__ import annotations

import datetime as dt
import threading

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Value, When

from jejak.accounts.models import ApiToken

# A token whose stored last use is more recent than this is not written again.
PRECISION = dt.timedelta(minutes=1)
# Every second, the uses noted since: as many rows a minute as every ten seconds, but in
# small UPDATEs. Ten seconds' worth (thousands of rows at the check-in peak) was one
# statement of a quarter to half a second whose WAL held up check-ins' commits.
FLUSH_SECONDS = 1

_lock = threading.Lock()
_pending: set[int] = set()
_last_flush: dt.datetime | None = None


def note(token_id: int, last_used_at: dt.datetime | None, now: dt.datetime) -> None:
    """Remember that the token was used now; flush the batch if it is due."""
    global _last_flush
    if last_used_at is not None and now - last_used_at < PRECISION:
        return
    with _lock:
        _pending.add(token_id)
        if _last_flush is not None and (now - _last_flush).total_seconds() < FLUSH_SECONDS:
            return
        ids = sorted(_pending)
        _pending.clear()
        _last_flush = now
    if transaction.get_connection().in_atomic_block:
        # Never inside the caller's transaction: its rollback would drop the batch.
        transaction.on_commit(lambda: write(ids, now))
    else:
        write(ids, now)


def flush(now: dt.datetime) -> None:
    """Write every noted use now (tests, and processes that are about to exit)."""
    global _last_flush
    with _lock:
        ids = sorted(_pending)
        _pending.clear()
        _last_flush = now
    write(ids, now)


def write(ids: list[int], now: dt.datetime) -> None:
    """Store these tokens' last use and, for tokens that lapse, move their expiry to
    JEJAK_TOKEN_IDLE_DAYS from now (one UPDATE; at most a second's worth of tokens)."""
    if ids:
        ApiToken.objects.filter(pk__in=ids).update(
            last_used_at=now,
            # A token without an expiry (`jejak api-token`) keeps none.
            expires_at=Case(
                When(expires_at__isnull=True, then=Value(None)),
                default=Value(now + idle_lifetime()),
            ),
        )


def idle_lifetime() -> dt.timedelta:
    return dt.timedelta(days=settings.JEJAK_TOKEN_IDLE_DAYS)
