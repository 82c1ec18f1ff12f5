"""Check-ins decided together: a per-process batcher behind `POST /api/v1/checkins`.

Every check-in arrives through Django like any other request (middleware, session or
bearer token, CSRF, error handling) and is parsed and authenticated by its view. The
view then hands the service's request (`plans.Ask`) to this process's batcher and
waits for its outcome. The batcher is one thread with a database connection of its own:
it takes every check-in waiting at that moment and decides them with one
`record.record_many` call, a fixed handful of statements and one commit for the lot, so
the busier the process, the cheaper each check-in's writes (docs/performance.md). An idle
process decides a lone request at once.

What can go wrong, and what the view sees then:

- Something fails outside a batch's decision, or the thread stops (a fatal error): the
  requests it held are handed back to their views, which decide them alone, and the
  thread goes on, or is started again on the next request (`is_alive()`).
- A batch takes too long (a lock, a stalled database): after DECIDE_TIMEOUT the view
  decides its request alone, in its own thread. Should the batch commit it later as
  well, the nonce makes the second decision a replay of the first.
- The database fails under a batch (down, restarting, a connection lost: an
  OperationalError or InterfaceError): every request of it is refused with
  `DatabaseUnavailable` (the view's 503 with Retry-After; the phone retries with the
  same nonce). It is not re-decided request by request, which would double the load on
  a database that is already in trouble.
- Anything else fails a batch of several: its requests are decided again one at a time
  on this thread, so a single bad request cannot refuse the others, and the load stays
  that of one thread. A lone request's error goes to its view, where Django reports it.

On shutdown (gunicorn's graceful stop) the server answers the requests in flight before
the process exits, and they are waiting on this thread: nothing queued is dropped.
Black-status alerts are rows, committed with their check-in, and notified by the task
worker or the periodic sweep; nothing of them waits in memory.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from django.db import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connections,
)

from jejak.checkins import plans, record
from jejak.core.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

# Requests decided together at most. A batch holds one request per account per round,
# and its statements grow with it: beyond this, bigger batches save nothing more.
MAX_BATCH = 64
# How often the thread drops a broken or aged connection, as Django does per request.
HEALTH_SECONDS = 1.0
# After this the view stops waiting and decides its request alone: a check-in never
# hangs on the batcher.
DECIDE_TIMEOUT = 5.0


Decide = Callable[[Sequence[plans.Ask]], list[plans.Outcome]]
Queued = tuple[plans.Ask, "Future[plans.Outcome]"]
# Put on the queue by `close`: the thread ends once what was queued before it is decided.
_STOP: Any = object()


class _Stopped(BaseException):
    """Ends the thread's loop (raised past the catch-all on purpose)."""


def _record_many(asks: Sequence[plans.Ask]) -> list[plans.Outcome]:
    return record.record_many(asks=asks)


class Batcher:
    """The thread that decides this process's check-ins, as many at a time as wait."""

    def __init__(self, decide: Decide = _record_many, max_batch: int = MAX_BATCH) -> None:
        self._decide = decide
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()  # Queued or _STOP
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._checked = float("-inf")
        # Batches decided and the requests in them (read by the tests).
        self.batches = 0
        self.decided = 0

    def submit(self, ask: plans.Ask) -> Future[plans.Outcome]:
        """Queue `ask`; the future gets its outcome (or DatabaseUnavailable, or the
        error that a lone request raised)."""
        future: Future[plans.Outcome] = Future()
        # Queued first: a thread that is ending clears itself before it looks at the
        # queue (_retire), so either it sees this request or this call sees it gone.
        self._queue.put((ask, future))
        self._ensure_running()
        return future

    def decide(self, ask: plans.Ask, timeout: float = DECIDE_TIMEOUT) -> plans.Outcome:
        """`ask`'s outcome, decided with whatever else is waiting; alone in the calling
        thread if the batcher has not answered within `timeout` seconds."""
        future = self.submit(ask)
        try:
            return future.result(timeout=timeout)
        except FutureTimeout:
            log.warning("check-in batcher: no decision in %.0f s; deciding alone", timeout)
            future.cancel()  # taken already, or never: either way the answer is ours
        except BatcherStopped:
            pass
        return self._decide([ask])[0]

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def _ensure_running(self) -> None:
        if self.running:
            return
        with self._lock:
            if self.running:
                return
            if self._thread is not None:
                log.error("check-in batcher: its thread had died; starting a new one")
            self._thread = threading.Thread(target=self._run, name="checkin-batcher", daemon=True)
            self._thread.start()

    def close(self, timeout: float = 10.0) -> None:
        """Decide what is queued, then end the thread and close its connection (the
        process is stopping: its server has answered, or is answering, what is in
        flight). A later `submit` starts a new thread."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            return
        self._queue.put(_STOP)
        thread.join(timeout)

    def _run(self) -> None:
        try:
            while True:
                taken: list[Queued] = []
                try:
                    self._turn(taken)
                except Exception:
                    # Whatever failed outside a batch's own decision (which _answer
                    # guards): the thread goes on, and the views decide what it held.
                    log.exception("check-in batcher: a turn failed with %d requests", len(taken))
                    _hand_back(taken)
        except _Stopped:
            self._retire()
        except BaseException:
            # The thread is ending (SystemExit, a kill): nothing it held may hang.
            log.error("check-in batcher: its thread is ending; %d requests handed back", len(taken))
            _hand_back(taken)
            self._retire()
            raise

    def _retire(self) -> None:
        """This thread takes no more requests: the next `submit` starts a successor,
        and one starts now for whatever was queued while this thread was ending (those
        requests would otherwise wait for the next submit, or their timeout)."""
        with self._lock:
            if self._thread is threading.current_thread():
                self._thread = None
        if not self._queue.empty():
            self._ensure_running()
        connections.close_all()  # this thread's connection ends with it

    def _turn(self, taken: list[Queued]) -> None:
        first = self._queue.get()
        if first is _STOP:
            raise _Stopped
        taken.append(first)
        stopping = False
        while len(taken) < self._max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                stopping = True  # after this batch
                break
            taken.append(item)
        # A request whose view gave up waiting is decided there; not twice here.
        live = [(ask, future) for ask, future in taken if future.set_running_or_notify_cancel()]
        if live:
            self._answer(live)
        if stopping:
            raise _Stopped

    def _answer(self, batch: list[Queued]) -> None:
        now = time.monotonic()
        if now - self._checked >= HEALTH_SECONDS:
            close_old_connections()
            self._checked = now
        asks = [ask for ask, _future in batch]
        try:
            outcomes = self._decide(asks)
        except IntegrityError:
            # record_many settles its own integrity errors (retried nonces); one that
            # escapes is a request's own fault, found below.
            self._one_by_one(batch)
            return
        except (OperationalError, InterfaceError) as exc:
            log.error("check-in batcher: the database failed a batch of %d: %s", len(batch), exc)
            close_old_connections()
            self._checked = time.monotonic()
            error = DatabaseUnavailable(str(exc))
            for _ask, future in batch:
                future.set_exception(error)
            return
        except Exception as exc:
            if len(batch) == 1:
                batch[0][1].set_exception(exc)  # raised in its view: Django reports it
                return
            log.exception("check-in batcher: a batch of %d failed; one at a time", len(batch))
            self._one_by_one(batch)
            return
        self.batches += 1
        self.decided += len(batch)
        for (_ask, future), outcome in zip(batch, outcomes, strict=True):
            future.set_result(outcome)

    def _one_by_one(self, batch: list[Queued]) -> None:
        for ask, future in batch:
            try:
                [outcome] = self._decide([ask])
            except Exception as exc:
                future.set_exception(exc)
            else:
                future.set_result(outcome)


class BatcherStopped(Exception):
    """The batcher let go of a request undecided; its view decides it alone."""


def _hand_back(taken: list[Queued]) -> None:
    for _ask, future in taken:
        if not future.done() and (future.running() or future.set_running_or_notify_cancel()):
            future.set_exception(BatcherStopped())


_batcher = Batcher()
# The server answers the requests in flight before its worker exits (gunicorn's graceful
# stop); whatever is still queued then is decided before the interpreter goes.
atexit.register(lambda: _batcher.close())


def batcher() -> Batcher:
    """This process's batcher."""
    return _batcher
