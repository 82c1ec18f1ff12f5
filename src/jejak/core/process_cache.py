"""A value kept in process memory for the hot path, shared-invalidated through a version
row in the database (`core.CacheVersion`).

The value is loaded once per process and served without a query. A write in this
process drops it at once (`changed()`, from the writer or a signal); after the write
commits, the row of the cache's key moves (`version + 1`). Each process reads the rows of
all keys in one query at most every `check_seconds` and reloads a value whose row moved,
so a change reaches every process within about a second, with or without Redis, and the
hot path between two checks costs no query and never touches the Django cache (a Redis
outage cannot fail a check-in).

If the version cannot be read (a database error), the held values are served and the
read is tried again at the next check. `ttl` is a safety net for a change whose version
never moved (a process that died between its commit and the bump, a bulk `update()`
that sends no signal, a write rolled back after this process read it inside the same
transaction): the value is reloaded after that long anyway.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import Error, IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from jejak.core import replicas

T = TypeVar("T")
logger = logging.getLogger(__name__)

CHECK_SECONDS = 1.0
SAFETY_TTL = 300.0

# A key's row as read: (version, changed_at), or None while no write ever moved it.
# changed_at is compared too, so a table emptied and bumped again (a restore, a test
# database flushed) cannot land on the version a process holds and look unchanged.
Version = tuple[int, Any] | None
_UNKNOWN: Any = object()  # the version could not be read: reload at the next good check


class _Versions:
    """Every key's version, read in one query and shared by all the caches of a process."""

    def __init__(self) -> None:
        self._rows: dict[str, Version] | None = {}
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def current(self, max_age: float) -> dict[str, Version] | None:
        """The rows read at most `max_age` seconds ago (reading them again if older), or
        None when the last read failed: serve what you hold."""
        if time.monotonic() - self._read_at < max_age:
            return self._rows
        # One thread reads; the others go on with the rows they have, never waiting on it.
        if not self._lock.acquire(blocking=False):
            return self._rows
        try:
            started = time.monotonic()
            if started - self._read_at < max_age:
                return self._rows
            self._rows = _read_rows()
            self._read_at = started
            return self._rows
        finally:
            self._lock.release()

    def expire(self) -> None:
        """Read again on the next call (after this process moved a version, or a reset)."""
        self._read_at = float("-inf")


def _read_rows() -> dict[str, Version] | None:
    from jejak.core.models import CacheVersion

    query = CacheVersion.objects.values_list("key", "version", "changed_at")
    try:
        # Never a replica's: a version read behind the primary's is held by the whole
        # process.
        with replicas.primary():
            if connection.in_atomic_block:
                # The check-in path asks inside its transaction: on PostgreSQL a failed
                # statement would abort that whole transaction, a savepoint keeps it usable.
                with transaction.atomic():
                    rows = list(query)
            else:
                rows = list(query)
    except Error:
        logger.warning(
            "Cannot read the process caches' versions; serving held values.", exc_info=True
        )
        return None
    return {key: (version, changed_at) for key, version, changed_at in rows}


def bump(key: str) -> None:
    """Move `key`'s version: every process reloads its value at its next check."""
    from jejak.core.models import CacheVersion

    now = timezone.now()
    rows = CacheVersion.objects.filter(key=key)
    if rows.update(version=F("version") + 1, changed_at=now):
        return
    try:
        with transaction.atomic():
            CacheVersion.objects.create(key=key, version=1, changed_at=now)
    except IntegrityError:  # another process created the row first
        rows.update(version=F("version") + 1, changed_at=now)


_versions = _Versions()
_caches: weakref.WeakSet[VersionedProcessCache[Any]] = weakref.WeakSet()


def reset_all() -> None:
    """Forget every held value and the versions read (tests: rows rolled back)."""
    for held in _caches:
        held.invalidate(shared=False)
    _versions.expire()


@dataclass
class _Held(Generic[T]):
    value: T
    version: Version
    loaded_at: float


class VersionedProcessCache(Generic[T]):
    """`get()` returns the value `load()` built, reloading when this process or another
    one said it changed (`changed()`/`invalidate()`), or after `ttl` seconds."""

    def __init__(
        self,
        *,
        key: str,
        load: Callable[[], T],
        ttl: float = SAFETY_TTL,
        check_seconds: float | None = None,
    ) -> None:
        self.key = key
        self._load = load
        self.ttl = ttl
        self.check_seconds = check_seconds  # None: the module's CHECK_SECONDS
        self._held: _Held[T] | None = None
        self._lock = threading.Lock()
        _caches.add(self)

    def get(self, *, ttl: float | None = None, check_seconds: float | None = None) -> T:
        """The value; `ttl`/`check_seconds` override the defaults for this call."""
        ttl = self.ttl if ttl is None else ttl
        if check_seconds is None:
            check_seconds = CHECK_SECONDS if self.check_seconds is None else self.check_seconds
        held = self._held
        if held is not None and time.monotonic() - held.loaded_at < ttl:
            rows = _versions.current(check_seconds)
            if rows is None or rows.get(self.key) == held.version:
                return held.value
        with self._lock:
            if self._held is held or self._held is None:
                # The version is read before the rows: a write that commits during the
                # load moves it past the one held here, and the next check reloads.
                rows = _versions.current(check_seconds)
                version = _UNKNOWN if rows is None else rows.get(self.key)
                # From the primary, as the version: a value loaded from a replica behind
                # it would be held under the newer version until the next change.
                with replicas.primary():
                    value = self._load()
                self._held = _Held(value, version, time.monotonic())
            return self._held.value

    def invalidate(self, *, shared: bool = True) -> None:
        """Drop this process's value; with `shared`, move the version now (in the caller's
        transaction, if any) so that every other process reloads too."""
        self._held = None
        if shared:
            bump(self.key)
            _versions.expire()  # read the new version before reloading, not after

    def changed(self) -> None:
        """Call after any write to the data behind the value. This process forgets at once
        (the next read inside the same transaction sees the write); the others are told
        after commit, so none reloads rows that are not yet visible."""
        self.invalidate(shared=False)
        transaction.on_commit(self._announce)

    def _announce(self) -> None:
        try:
            self.invalidate()
        except Error:
            # The write itself committed: failing its request now would only hide that.
            # Other processes reload after `ttl` at the latest.
            logger.exception("Cannot move the version of %s", self.key)
