"""The check-in lane: POST /api/v1/checkins from API clients, decided in batches.

At the peak a city's venues send thousands of check-ins a second, and through Django's
request cycle each one paid for its own middleware, authentication, transaction and
statements (about 0.6 ms of CPU before the view, 10 statements each). The lane is a
small ASGI layer in front of Django (`jejak.asgi`) that takes the one request shape that
matters, a bearer-token check-in with a valid body, and hands it to a thread that owns a
database connection. That thread decides every request waiting at that moment in one
`service.record_many` call, a fixed handful of statements and one commit for the lot,
so the busier the lane, the bigger its batches and the cheaper each check-in. An idle
lane answers at once. A busy one (its last batch held more than one request) lets a
batch's first request wait for the others it expects (those that were waiting when it
answered the last batch, and the clients it answered), at most
JEJAK_CHECKIN_LANE_GATHER_US, as PostgreSQL's commit_delay groups commits: a batch's
fixed statements cost about as much as ten requests do each, and without the wait a
steady stream of clients splits into two half-size batches that take turns
(docs/performance.md).

Anything the lane does not answer well goes to Django unchanged, body included: no
bearer token (browsers, with their session and CSRF), a body that does not validate, an
unknown token or one that is not a visitor's (Django's own 401 and 403), and any batch
that fails as a whole (each of its requests is then decided the ordinary way, where a
committed retry answers its stored result). So the lane only ever answers a decision or
a refusal of the service, in the same shape and language as `checkins.api.check_in`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.db import close_old_connections
from django.dispatch import receiver
from django.http.cookie import parse_cookie
from django.http.request import split_domain_port, validate_host
from django.utils import timezone, translation
from pydantic import ValidationError

import jejak.api  # noqa: F401 (the API first: it imports checkins.api while registering routers)
from jejak.accounts import token_usage
from jejak.accounts.models import ApiToken
from jejak.checkins import service
from jejak.checkins.api import CheckInIn, response_body
from jejak.checkins.errors import CheckInError
from jejak.core.middleware import api_language
from jejak.people.access import is_visitor
from jejak.qrcodes.errors import QrError

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PATH = "/api/v1/checkins"
# A check-in body is a few hundred bytes; a larger one is Django's to refuse.
MAX_BODY = 16 * 1024
# Requests decided together at most (a batch holds one request per account anyway).
MAX_BATCH = 64
# How often the lane checks its connection as Django does per request (a SELECT 1 once
# it is due), and how long black-status alerts may wait to be notified together.
HEALTH_SECONDS = 1.0
ALERT_SECONDS = 0.5
# A request the lane has not decided by then is handed to Django and decided alone (a
# batch stuck on a lock, a thread in trouble): a check-in never hangs on the lane. If the
# batch decides it later as well, the nonce makes the second decision a replay.
DECIDE_TIMEOUT = 5.0
# Headers Django's middleware puts on an API answer (security, language, caching).
_FIXED_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"vary", b"Cookie"),
]


@dataclass(frozen=True)
class Job:
    """One check-in handed to the lane's thread."""

    token: str
    body: CheckInIn


class _Delegate:
    """The lane's answer for a request that Django should answer instead."""


DELEGATE = _Delegate()
Reply = service.Outcome | _Delegate
# What the lane's thread takes from its queue: a request, or a flush (BatchRunner.flush),
# answered with the side thread's future of the alerts' hand-over (None: no alert held).
Queued = tuple[Job, asyncio.AbstractEventLoop, asyncio.Future[Reply]]
Flush = Future["Future[None] | None"]


# The lane's work that must not hold up a batch runs on one more thread, with a database
# connection of its own: enqueueing black-status alerts' notification (a row for the task
# worker; without one, the periodic sweep notifies them), and writing tokens' last use (an
# UPDATE of thousands of tokens every ten seconds held a batch, and the requests queued
# behind it, for tens of milliseconds).
_side = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checkin-lane-side")


def later(work: Callable[[], object]) -> Future[None]:
    """Run `work` on the lane's side thread; a failure is logged, never raised."""

    def run() -> None:
        close_old_connections()  # as Django does before and after each request
        try:
            work()
        except Exception:
            log.exception("check-in lane: %r failed", work)
        finally:
            close_old_connections()

    return _side.submit(run)


def _write_token_uses(ids: list[int], now: dt.datetime) -> None:
    later(partial(token_usage.write, ids, now))


def decide(jobs: list[Job]) -> list[Reply]:
    """Authenticate and decide a batch of check-ins: one query for the tokens, then
    `service.record_many` for the visitors among them."""
    now = timezone.now()
    found = ApiToken.authenticate_many([job.token for job in jobs], now=now)
    replies: list[Reply] = [DELEGATE] * len(jobs)
    asks, where = [], []
    for k, (job, auth) in enumerate(zip(jobs, found, strict=True)):
        if auth is None or not is_visitor(auth[2]):
            continue  # Django answers not_authenticated or visitor_only
        token_id, last_used_at, user = auth
        token_usage.note(token_id, last_used_at, now, writer=_write_token_uses)
        asks.append(job.body.ask(user))
        where.append(k)
    for k, outcome in zip(where, service.record_many(asks=asks, now=now), strict=True):
        replies[k] = outcome
    return replies


class BatchRunner:
    """The thread that owns this process's lane connection and decides what is queued,
    as many requests at a time as have arrived (up to MAX_BATCH)."""

    def __init__(
        self, decide: Callable[[list[Job]], list[Reply]] = decide, gather: float | None = None
    ) -> None:
        self._decide = decide
        self._gather = settings.JEJAK_CHECKIN_LANE_GATHER_US / 1e6 if gather is None else gather
        # How many requests a busy lane expects for its next batch: those already waiting
        # when it answered the last one, and the clients it has just answered.
        self._expected = 0
        self._queue: queue.SimpleQueue[Queued | Flush] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._alerts: list[int] = []
        self._notified = self._checked = float("-inf")

    def submit(self, job: Job) -> asyncio.Future[Reply]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Reply] = loop.create_future()
        thread = self._thread
        if thread is None or not thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    if self._thread is not None:
                        log.error("check-in lane: its thread had stopped; starting a new one")
                    self._thread = threading.Thread(
                        target=self._run, name="checkin-lane", daemon=True
                    )
                    self._thread.start()
        self._queue.put((job, loop, future))
        return future

    def _run(self) -> None:
        # Notifying costs a handful of statements whatever the number of alerts: under
        # load the lane sends them for many batches at once instead of after each commit.
        service.collect_black_alerts(self._alerts)
        while True:
            taken: list[Queued] = []
            try:
                self._turn(taken)
            except Exception:
                # Whatever failed outside a batch's own decision (which run_batch guards),
                # the thread lives on and the requests it held go the ordinary way.
                log.exception("check-in lane: a turn failed; %d requests go to Django", len(taken))
                for _job, loop, future in taken:
                    _answer_on(loop, [(future, DELEGATE)])

    def _turn(self, taken: list[Queued]) -> None:
        """Take what is queued, decide it as one batch and answer it; `taken` holds the
        requests taken, for _run to hand to Django if anything here fails."""
        try:
            first = self._queue.get(timeout=ALERT_SECONDS if self._alerts else None)
        except queue.Empty:
            self._notify()
            return
        if isinstance(first, Future):
            self._flush([first])
            return
        taken.append(first)
        if self._gather and self._expected > 1:
            self._wait_for(self._expected, time.monotonic() + self._gather)
        batch, flushes = taken, []
        while len(batch) < MAX_BATCH:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, Future):
                flushes.append(item)  # after this batch, whose alerts it includes
            else:
                batch.append(item)
        replies = self.run_batch([job for job, _loop, _future in batch])
        # One wake-up of each event loop for the whole batch (one loop per process).
        answers: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Reply], Reply]]]
        answers = defaultdict(list)
        for (_job, loop, future), reply in zip(batch, replies, strict=True):
            answers[loop].append((future, reply))
        for loop, settled in answers.items():
            _answer_on(loop, settled)
        busy = len(batch) > 1
        self._expected = min(MAX_BATCH, self._queue.qsize() + len(batch)) if busy else 0
        if flushes:
            self._flush(flushes)
        elif self._alerts and time.monotonic() - self._notified >= ALERT_SECONDS:
            self._notify()

    def _wait_for(self, size: int, deadline: float) -> None:
        # Busy: let the requests on their way join this batch. Waiting only for what was
        # queued would keep two half-size batches taking turns for ever; the clients just
        # answered are the ones on their way. Polled: waiting on the queue would wake
        # this thread once per request.
        while self._queue.qsize() + 1 < size:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, 0.0002))

    def run_batch(self, jobs: list[Job]) -> list[Reply]:
        now = time.monotonic()
        if now - self._checked >= HEALTH_SECONDS:
            # What Django does around each request: drop a connection that broke or aged.
            close_old_connections()
            self._checked = now
        try:
            return self._decide(jobs)
        except Exception:
            # Rolled back: each request goes the ordinary way, where it is decided alone.
            log.exception("check-in batch of %d failed; handing it to Django", len(jobs))
            close_old_connections()
            return [DELEGATE] * len(jobs)

    def _notify(self) -> Future[None]:
        from jejak.checkins.tasks import notify_black_status

        ids, self._alerts[:] = list(self._alerts), []
        self._notified = time.monotonic()
        # If it fails, the alerts and their audit rows are stored all the same, the venue
        # console shows them, and the periodic sweep notifies them.
        return later(partial(notify_black_status.enqueue, alert_ids=ids))

    def _flush(self, flushes: list[Flush]) -> None:
        handed = self._notify() if self._alerts else None
        for flush in flushes:
            flush.set_result(handed)

    def flush(self, timeout: float = 10.0) -> None:
        """Hand the black-status alerts this lane holds to the task backend now, and wait
        until that is done: the process is stopping, and they would die with it (a crash
        leaves them to the periodic sweep). Requests that come later are still served."""
        if self._thread is None or not self._thread.is_alive():
            return
        flush: Flush = Future()
        self._queue.put(flush)
        handed = flush.result(timeout=timeout)
        if handed is not None:
            handed.result(timeout=timeout)


def _answer_on(
    loop: asyncio.AbstractEventLoop, settled: list[tuple[asyncio.Future[Reply], Reply]]
) -> None:
    # A closed loop (its server stopped) has nobody waiting for these any more.
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(_settle, settled)


def _settle(settled: list[tuple[asyncio.Future[Reply], Reply]]) -> None:
    for future, reply in settled:
        if not future.done():  # the client may have gone
            future.set_result(reply)


class CheckInLane:
    """ASGI middleware: the check-in lane in front of `app` (Django)."""

    def __init__(self, app: ASGIApp, runner: BatchRunner | None = None) -> None:
        self.app = app
        self.runner = runner or BatchRunner()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return await self.app(scope, self._flushing_at_shutdown(receive), send)
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != PATH:
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        auth = headers.get(b"authorization", b"")
        # A Host that ALLOWED_HOSTS refuses goes to Django, which answers its own 400.
        if auth[:7].lower() != b"bearer " or not _host_allowed(headers.get(b"host", b"")):
            return await self.app(scope, receive, send)
        body, complete = await _read_body(receive)
        job = _job(auth, body) if complete else None
        reply = DELEGATE if job is None else await self._decided(job)
        if isinstance(reply, _Delegate):
            return await self.app(scope, _replaying(body, complete, receive), send)
        language = _language(headers.get(b"cookie", b""), headers.get(b"accept-language", b""))
        # The content types of the API's answers: ninja's for errors, JsonResponse's.
        if isinstance(reply, CheckInError | QrError):
            status, kind = reply.http_status, b"application/json; charset=utf-8"
            with translation.override(language):
                data: dict[str, Any] = {"code": reply.code.value, "message": reply.message}
        else:
            status, kind, data = 201, b"application/json", response_body(reply, language)
        payload = json.dumps(data).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", kind),
                    *_FIXED_HEADERS,
                    (b"content-language", language.encode()),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    async def _decided(self, job: Job) -> Reply:
        try:
            return await asyncio.wait_for(self.runner.submit(job), DECIDE_TIMEOUT)
        except TimeoutError:
            log.warning(
                "check-in lane: no decision in %.0f s; handing it to Django", DECIDE_TIMEOUT
            )
            return DELEGATE

    def _flushing_at_shutdown(self, receive: Receive) -> Receive:
        """`receive` of the lifespan protocol that flushes the lane's alerts when the server
        stops: uvicorn sends the shutdown once the requests in flight are answered."""

        async def flushing() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                try:
                    await asyncio.get_running_loop().run_in_executor(None, self.runner.flush)
                except Exception:
                    # The server must stop all the same; the sweep notifies what is left.
                    log.exception("check-in lane: alerts not flushed at shutdown")
            return message

        return flushing


def _job(auth: bytes, body: bytes) -> Job | None:
    try:
        parsed = CheckInIn.model_validate_json(body)
    except ValidationError:
        return None
    return Job(token=auth[7:].decode("latin-1").strip(), body=parsed)


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The body, and whether it is whole (False past MAX_BODY or on a disconnect)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True
        if size > MAX_BODY:
            return b"".join(chunks), False


def _replaying(body: bytes, complete: bool, receive: Receive) -> Receive:
    """`receive` for Django: the body read so far, then whatever is left."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": not complete}
        return await receive()

    return replay


@lru_cache(maxsize=256)
def _host_allowed(host: bytes) -> bool:
    """Whether Django would serve this Host header (HttpRequest.get_host's rule)."""
    if settings.USE_X_FORWARDED_HOST:
        return False  # the proxy's header decides: Django reads it
    domain, _port = split_domain_port(host.decode("latin-1"))
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return bool(domain) and validate_host(domain, allowed)


@receiver(setting_changed)
def _forget_hosts(*, setting: str, **_kwargs: Any) -> None:
    # The answers above follow these settings; tests (and only tests) change them.
    if setting in ("ALLOWED_HOSTS", "DEBUG", "USE_X_FORWARDED_HOST"):
        _host_allowed.cache_clear()


@lru_cache(maxsize=1024)
def _language(cookie: bytes, accept_language: bytes) -> str:
    """The answer's language for these headers (a phone sends the same ones each time)."""
    chosen = parse_cookie(cookie.decode("latin-1")).get(settings.LANGUAGE_COOKIE_NAME, "")
    return api_language(chosen, accept_language.decode("latin-1"))
