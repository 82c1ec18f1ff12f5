"""An object each process builds on first use, and again when REDIS_URL changes: the
rate limiters of the outbox's gateways (notifications/rates.py) and of partner apps
(partners/rates.py), which count in Redis when it is configured and in memory
otherwise."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from django.conf import settings

T = TypeVar("T")


class PerRedisUrl(Generic[T]):
    def __init__(self, build: Callable[[str], T]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._value: T | None = None
        self._url = ""

    def get(self) -> T:
        with self._lock:
            url = settings.REDIS_URL
            if self._value is None or self._url != url:
                self._value, self._url = self._build(url), url
            return self._value

    def reset(self) -> None:
        """Forget it (tests: each starts with empty windows)."""
        with self._lock:
            self._value = None
