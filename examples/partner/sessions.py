"""This app's own sessions: a random cookie naming a record in memory. The tokens never
reach the browser; a restart signs everyone out (a real partner keeps them in its own
database, encrypted)."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from jejak_client import Holder, Pending

# Its own name: on one host (127.0.0.1) browsers share cookies across ports, and Jejak's
# are `sessionid` and `csrftoken`.
COOKIE = "mitra_sesi"
IDLE_SECONDS = 12 * 3600


@dataclass
class Session:
    key: str
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    holder: Holder = field(default_factory=Holder)
    pending: Pending | None = None
    first_name: str = ""
    people: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, Any] | None = None  # the last check-in's answer
    notice: tuple[str, str] | None = None  # (kind, text) shown once
    seen: float = field(default_factory=time.monotonic)

    @property
    def signed_in(self) -> bool:
        return self.holder.tokens is not None

    def sign_out(self) -> None:
        self.holder.tokens = None
        self.first_name = ""
        self.people = []
        self.result = None

    def take_notice(self) -> tuple[str, str] | None:
        notice, self.notice = self.notice, None
        return notice


class Sessions:
    def __init__(self) -> None:
        self._by_key: dict[str, Session] = {}
        self._lock = threading.Lock()

    def find(self, key: str | None) -> Session | None:
        with self._lock:
            session = self._by_key.get(key or "")
            if session is not None:
                session.seen = time.monotonic()
            return session

    def renew(self, session: Session) -> None:
        """A new key for a session that has just signed in: a key someone learnt or set
        before (session fixation) no longer names it."""
        with self._lock:
            self._by_key.pop(session.key, None)
            session.key = secrets.token_urlsafe(32)
            self._by_key[session.key] = session

    def start(self) -> Session:
        with self._lock:
            now = time.monotonic()
            for key in [k for k, s in self._by_key.items() if now - s.seen > IDLE_SECONDS]:
                del self._by_key[key]
            session = Session(key=secrets.token_urlsafe(32))
            self._by_key[session.key] = session
            return session
