"""A value kept in process memory for the hot path, shared-invalidated through a version
token in the Django cache.

The value is loaded once per process and served without a query. A write in this
process drops it at once (`changed()`, from the writer or a signal); the other processes
notice through the token in the Django cache, which moves after the write commits and is
consulted at most every `check_seconds`. With a per-process cache (no Redis) the token
never moves for other processes, so the value also expires after `ttl` seconds.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")


@dataclass
class _Held(Generic[T]):
    value: T
    token: str
    loaded_at: float
    checked_at: float


class VersionedProcessCache(Generic[T]):
    """`get()` returns the value `load()` built, reloading when this process or another
    one said it changed (`changed()`/`invalidate()`), or after `ttl` seconds."""

    def __init__(
        self,
        *,
        key: str,
        load: Callable[[], T],
        ttl: float = 60.0,
        check_seconds: float = 1.0,
    ) -> None:
        self.key = key
        self._load = load
        self.ttl = ttl
        self.check_seconds = check_seconds
        self._held: _Held[T] | None = None
        self._lock = threading.Lock()

    def _shared_token(self) -> str:
        token = cache.get(self.key)
        if token is None:
            cache.add(self.key, uuid.uuid4().hex, None)
            token = cache.get(self.key) or ""
        return str(token)

    def get(self, *, ttl: float | None = None, check_seconds: float | None = None) -> T:
        """The value; `ttl`/`check_seconds` override the defaults for this call."""
        ttl = self.ttl if ttl is None else ttl
        check_seconds = self.check_seconds if check_seconds is None else check_seconds
        held = self._held
        now = time.monotonic()
        if held is not None and now - held.loaded_at < ttl:
            if now - held.checked_at < check_seconds:
                return held.value
            if cache.get(self.key) == held.token:
                held.checked_at = now
                return held.value
        with self._lock:
            if self._held is held or self._held is None:
                token = self._shared_token()  # before the rows: a write during the load shows
                value = self._load()
                loaded = time.monotonic()
                self._held = _Held(value, token, loaded, loaded)
            return self._held.value

    def invalidate(self, *, shared: bool = True) -> None:
        """Drop this process's value; with `shared`, make every other process reload too."""
        self._held = None
        if shared:
            cache.set(self.key, uuid.uuid4().hex, None)

    def changed(self) -> None:
        """Call after any write to the data behind the value. This process forgets at once
        (the next read inside the same transaction sees the write); the others are told
        after commit, so none reloads rows that are not yet visible."""
        self.invalidate(shared=False)
        transaction.on_commit(self.invalidate)
