"""How fast the outbox may hand messages to each gateway (JEJAK_NOTIFY_RATES).

A mass event (ten thousand cases traced at once) queues about 100,000 messages, and an
SMS gateway takes perhaps 50 a second: past that it refuses or drops them. The gateway
is keyed by channel: every SMS goes through the one backend of JEJAK_SMS_BACKEND, every
e-mail through EMAIL_BACKEND, and in-app messages are only stored (unlimited by default).

The counting is the `limits` package's moving window (no burst at a window's edge, as a
fixed window would allow), kept in Redis when REDIS_URL is set, so every worker and the
periodic runner share one budget per gateway. Without Redis it is kept in each process's
memory: the limit is then per process, and N senders may reach N times the rate. While
Redis does not answer, a process counts in its own memory for OUTAGE_RETRY seconds and
logs it, so an outage slows nothing down and sends no more than that.

Why not pace in the database (claim at most rate x interval rows per interval under the
outbox's lease)? Sharing that budget between processes needs a counter row that every
sender updates under a lock, a home-made limiter with its own edge cases, on the busiest
table of a mass event. Redis is already the deployment's shared counter store.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from django.conf import settings
from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from jejak.core import shutdown
from jejak.core.per_redis import PerRedisUrl

logger = logging.getLogger(__name__)

CHANNELS = ("sms", "email", "inapp")
UNLIMITED = "unlimited"


@dataclass(frozen=True)
class Rate:
    """At most `count` messages in any `seconds` (1 or 60) long window."""

    count: int
    seconds: int

    def __str__(self) -> str:
        return f"{self.count}/{'s' if self.seconds == 1 else 'm'}"

    @property
    def item(self) -> RateLimitItem:
        if self.seconds == 1:
            return RateLimitItemPerSecond(self.count)
        return RateLimitItemPerMinute(self.count)


# None: unlimited. JEJAK_NOTIFY_RATES names only the channels it changes.
DEFAULT_RATES: Mapping[str, Rate | None] = MappingProxyType(
    {"sms": Rate(50, 1), "email": Rate(20, 1), "inapp": None}
)

_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60}
_RATE = re.compile(r"(\d+)\s*/\s*([a-z]+)")


@lru_cache(maxsize=8)
def parse_rates(text: str) -> Mapping[str, Rate | None]:
    """The rates of a JEJAK_NOTIFY_RATES value, e.g. "sms=50/s,email=600/m,inapp=unlimited",
    over the defaults. Raises ValueError saying what is wrong."""
    rates = dict(DEFAULT_RATES)
    named: set[str] = set()
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        channel, sep, value = (s.strip().lower() for s in part.partition("="))
        if not sep:
            raise ValueError(f"{part!r} is not channel=rate")
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r} (expected {', '.join(CHANNELS)})")
        if channel in named:
            raise ValueError(f"{channel} is given twice")
        named.add(channel)
        if value == UNLIMITED:
            rates[channel] = None
            continue
        match = _RATE.fullmatch(value)
        if match is None or match[2] not in _UNITS:
            raise ValueError(f"{value!r} is not a rate such as 50/s or 600/m")
        count = int(match[1])
        if count < 1:
            raise ValueError(f"{value!r}: the count must be at least 1 (or {UNLIMITED})")
        rates[channel] = Rate(count, _UNITS[match[2]])
    return MappingProxyType(rates)


def configured() -> Mapping[str, Rate | None]:
    """Each channel's rate (None: unlimited) from settings; `jejak check` refuses a bad
    value (checks.py), so this raises only in a process that skipped the checks."""
    return parse_rates(settings.JEJAK_NOTIFY_RATES)


class Clock:
    """The time the windows are counted in, and the wait for one to open. Tests swap in a
    fake one (and the same for `limits.storage.memory.time`)."""

    def time(self) -> float:
        return time.time()

    def pause(self, seconds: float) -> bool:
        """Wait; False when the process was asked to stop meanwhile (core/shutdown.py)."""
        return not shutdown.requested.wait(seconds)


clock = Clock()

# After a Redis error, count in process memory this long before asking Redis again.
OUTAGE_RETRY = 30.0


class Gateways:
    """The budgets of the gateways: shared through Redis at `redis_url`, else this
    process's own."""

    def __init__(self, redis_url: str = "") -> None:
        self.redis_url = redis_url
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._shared: MovingWindowRateLimiter | None = None
        if redis_url:
            storage = storage_from_string(
                redis_url,
                key_prefix="jejak:notify",
                wrap_exceptions=True,
                # Like the cache (settings.redis_cache): an outage costs a fifth of a second.
                socket_timeout=0.2,
                socket_connect_timeout=0.2,
            )
            self._shared = MovingWindowRateLimiter(storage)
        self._shared_down_until = 0.0

    @property
    def shared(self) -> bool:
        return self._shared is not None

    def _limiter(self) -> MovingWindowRateLimiter:
        if self._shared is not None and clock.time() >= self._shared_down_until:
            return self._shared
        return self._local

    def _outage(self, error: StorageError) -> None:
        self._shared_down_until = clock.time() + OUTAGE_RETRY
        logger.warning(
            "Redis does not answer (%s): outbox send rates counted per process for %d s",
            error.storage_error,
            OUTAGE_RETRY,
        )

    def room(self, channel: str) -> int | None:
        """How many messages the channel may send now (None: unlimited). A look only:
        another process may take them first, `acquire` decides."""
        rate = configured()[channel]
        if rate is None:
            return None
        limiter = self._limiter()
        try:
            return max(0, limiter.get_window_stats(rate.item, channel).remaining)
        except StorageError as error:
            self._outage(error)
            return max(0, self._local.get_window_stats(rate.item, channel).remaining)

    def acquire(self, channel: str) -> bool:
        """Take one message's place in the channel's window; False when it is full."""
        rate = configured()[channel]
        if rate is None:
            return True
        limiter = self._limiter()
        try:
            return limiter.hit(rate.item, channel)
        except StorageError as error:
            self._outage(error)
            return self._local.hit(rate.item, channel)

    def opens_in(self, channel: str) -> float:
        """Seconds until the channel's window has room again (0: it has now)."""
        rate = configured()[channel]
        if rate is None:
            return 0.0
        limiter = self._limiter()
        try:
            stats = limiter.get_window_stats(rate.item, channel)
        except StorageError as error:
            self._outage(error)
            stats = self._local.get_window_stats(rate.item, channel)
        return 0.0 if stats.remaining > 0 else max(0.0, stats.reset_time - clock.time())


_gateways = PerRedisUrl(Gateways)


def gateways() -> Gateways:
    """This process's Gateways, built on first use (again if REDIS_URL changed)."""
    return _gateways.get()


def reset() -> None:
    """Forget this process's counts (tests: each starts with empty windows)."""
    _gateways.reset()
