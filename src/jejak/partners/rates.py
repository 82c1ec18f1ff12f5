"""How fast a partner may call: its own limit per minute over all its citizens
(`Partner.rate_limit`), and JEJAK_PARTNER_USER_RATE calls per minute for any one citizen.

A call over either is answered 429 `rate_limited` with Retry-After before anything else
runs (no query, no decision), so a partner flooding Jejak spends little of the server's
time and none of the database's, and the other partners' check-ins go on.

The counting is the `limits` package's sliding window counter: two counters per key
(this minute's and the last), weighted, so a call costs the same whatever the limit (a
moving window keeps every call's time: a partner allowed millions a minute made each call
slower). In Redis when REDIS_URL is set, so every process shares one budget, as for the
outbox's gateways (notifications/rates.py); otherwise in each process's memory (N
processes then allow N times the rate).
While Redis does not answer, a process counts in its own memory for OUTAGE_RETRY seconds.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from limits import RateLimitItem, RateLimitItemPerMinute
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from jejak.core.per_redis import PerRedisUrl

logger = logging.getLogger(__name__)

OUTAGE_RETRY = 30.0


@dataclass(frozen=True)
class Refused:
    """Over a limit: which one ("partner" or "user") and when to try again (seconds)."""

    limit: str
    retry_after: int


class Limits:
    def __init__(self, redis_url: str = "") -> None:
        self.redis_url = redis_url
        self._local = SlidingWindowCounterRateLimiter(MemoryStorage())
        self._shared: SlidingWindowCounterRateLimiter | None = None
        if redis_url:
            storage = storage_from_string(
                redis_url,
                key_prefix="jejak:partner",
                wrap_exceptions=True,
                socket_timeout=0.2,
                socket_connect_timeout=0.2,
            )
            self._shared = SlidingWindowCounterRateLimiter(storage)
        self._shared_down_until = 0.0
        self._items: dict[int, RateLimitItem] = {}

    def _item(self, per_minute: int) -> RateLimitItem:
        item = self._items.get(per_minute)
        if item is None:
            item = self._items[per_minute] = RateLimitItemPerMinute(per_minute)
        return item

    def _hit(self, per_minute: int, *keys: str) -> int | None:
        """Take a place in the window; None when taken, else seconds until one opens."""
        item = self._item(per_minute)
        limiter = self._local
        if self._shared is not None and time.time() >= self._shared_down_until:
            limiter = self._shared
        try:
            if limiter.hit(item, *keys):
                return None
            reset = limiter.get_window_stats(item, *keys).reset_time
        except StorageError as error:
            self._shared_down_until = time.time() + OUTAGE_RETRY
            logger.warning(
                "Redis does not answer (%s): partner rate limits counted per process for %d s",
                error.storage_error,
                OUTAGE_RETRY,
            )
            if self._local.hit(item, *keys):
                return None
            reset = self._local.get_window_stats(item, *keys).reset_time
        return max(1, math.ceil(reset - time.time()))

    def check(self, *, partner_id: int, partner_rate: int, account_id: int) -> Refused | None:
        """Count one call of the partner for the account; a `Refused` when over a limit."""
        wait = self._hit(partner_rate, "p", str(partner_id))
        if wait is not None:
            return Refused("partner", wait)
        wait = self._hit(settings.JEJAK_PARTNER_USER_RATE, "u", str(partner_id), str(account_id))
        if wait is not None:
            return Refused("user", wait)
        return None


_limits = PerRedisUrl(Limits)


def limits() -> Limits:
    """This process's Limits, built on first use (again if REDIS_URL changed)."""
    return _limits.get()


def reset() -> None:
    """Forget this process's counts (tests: each starts with empty windows)."""
    _limits.reset()
