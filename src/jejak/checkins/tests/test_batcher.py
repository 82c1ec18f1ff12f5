"""The batcher behind POST /api/v1/checkins (checkins/batcher.py), without a database:
what it decides together, and that nothing hangs or is decided twice when it fails."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import OperationalError

from jejak.checkins import batcher as batching
from jejak.core.errors import DatabaseUnavailable


class Recorder:
    """A decision that answers each ask with its own value and remembers the batches;
    it can hold the batcher's batch until released, so that others queue behind it."""

    def __init__(self) -> None:
        self.batches: list[list[Any]] = []
        self.hold = threading.Event()
        self.hold.set()
        self.holding = threading.Event()

    def __call__(self, asks: Sequence[Any]) -> list[Any]:
        if threading.current_thread().name == "checkin-batcher":
            self.holding.set()
            assert self.hold.wait(timeout=30)
        self.batches.append(list(asks))
        return [("decided", ask) for ask in asks]


def _wait(condition: Any) -> None:
    event = threading.Event()
    for _ in range(3000):
        if condition():
            return
        event.wait(0.01)
    raise AssertionError("condition not met in 30 s")


def test_what_waits_behind_a_batch_is_decided_together_in_the_next():
    decide = Recorder()
    runner = batching.Batcher(decide=decide)
    decide.hold.clear()
    first = runner.submit("a")  # type: ignore[arg-type]
    assert decide.holding.wait(timeout=30)  # the thread is inside the first batch
    rest = [runner.submit(name) for name in "bcde"]  # type: ignore[arg-type]
    decide.hold.set()

    assert first.result(timeout=30) == ("decided", "a")
    assert [f.result(timeout=30) for f in rest] == [("decided", n) for n in "bcde"]
    assert decide.batches == [["a"], ["b", "c", "d", "e"]]
    assert (runner.batches, runner.decided) == (2, 5)


def test_an_idle_batcher_decides_a_lone_request_at_once():
    runner = batching.Batcher(decide=Recorder())

    assert runner.decide("a", timeout=30) == ("decided", "a")  # type: ignore[arg-type]


def test_a_batch_is_never_bigger_than_its_maximum():
    decide = Recorder()
    runner = batching.Batcher(decide=decide, max_batch=3)
    decide.hold.clear()
    futures = [runner.submit("x")]  # type: ignore[arg-type]
    assert decide.holding.wait(timeout=30)
    futures += [runner.submit(str(k)) for k in range(7)]  # type: ignore[arg-type]
    decide.hold.set()

    for future in futures:
        future.result(timeout=30)
    assert [len(b) for b in decide.batches] == [1, 3, 3, 1]


def test_a_database_failure_refuses_the_batch_once_without_deciding_it_again():
    calls: list[list[Any]] = []

    def broken(asks: Sequence[Any]) -> list[Any]:
        calls.append(list(asks))
        raise OperationalError("the server closed the connection")

    runner = batching.Batcher(decide=broken)
    futures = [runner.submit(n) for n in "abc"]  # type: ignore[arg-type]

    for future in futures:
        assert isinstance(future.exception(timeout=30), DatabaseUnavailable)
    # Each request was in one failed batch, and none was decided again alone.
    assert sorted(n for batch in calls for n in batch) == ["a", "b", "c"]


def test_another_failure_of_a_batch_is_decided_one_at_a_time_on_the_thread():
    calls: list[list[Any]] = []
    gate = threading.Event()

    def poisoned(asks: Sequence[Any]) -> list[Any]:
        assert gate.wait(timeout=30)
        calls.append(list(asks))
        if "bad" in asks:
            raise ValueError("one bad request")
        return [("decided", ask) for ask in asks]

    runner = batching.Batcher(decide=poisoned)
    first = runner.submit("a")  # type: ignore[arg-type]
    _wait(lambda: runner.running)
    futures = [runner.submit(n) for n in ("b", "bad", "c")]  # type: ignore[arg-type]
    gate.set()

    assert first.result(timeout=30) == ("decided", "a")
    assert futures[0].result(timeout=30) == ("decided", "b")
    assert isinstance(futures[1].exception(timeout=30), ValueError)
    assert futures[2].result(timeout=30) == ("decided", "c")
    assert runner.running


class FailingTurn(batching.Batcher):
    """A batcher whose first turn fails outside a batch's decision."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.failed = threading.Event()

    def _turn(self, taken: list[Any]) -> None:
        if not self.failed.is_set():
            taken.append(self._queue.get())
            self.failed.set()
            raise RuntimeError("a turn that breaks")
        super()._turn(taken)


def test_a_turn_that_fails_hands_its_request_back_and_the_thread_goes_on():
    alone: list[Any] = []

    def decide(asks: Sequence[Any]) -> list[Any]:
        if threading.current_thread().name != "checkin-batcher":
            alone.extend(asks)
        return [("decided", ask) for ask in asks]

    runner = FailingTurn(decide=decide)

    assert runner.decide("a", timeout=30) == ("decided", "a")  # type: ignore[arg-type]
    assert runner.decide("b", timeout=30) == ("decided", "b")  # type: ignore[arg-type]
    assert runner.failed.is_set() and runner.running
    assert alone == ["a"]  # handed back and decided in the caller's thread; "b" batched


class Dying(batching.Batcher):
    """A batcher whose thread ends (as only a BaseException ends it) while it holds
    requests, when told."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.die = threading.Event()

    def _turn(self, taken: list[Any]) -> None:
        if self.die.is_set():
            self.die.clear()
            taken.append(self._queue.get())
            raise SystemExit
        super()._turn(taken)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_killing_the_thread_mid_load_loses_and_hangs_nothing():
    decided: list[Any] = []
    lock = threading.Lock()

    def decide(asks: Sequence[Any]) -> list[Any]:
        with lock:
            decided.extend(asks)
        return [("decided", ask) for ask in asks]

    runner = Dying(decide=decide)
    threads_seen: set[int] = set()

    def client(k: int) -> Any:
        if k == 40:
            runner.die.set()  # the thread dies on its next turn, holding a request
        answer = runner.decide(k, timeout=30)  # type: ignore[arg-type]
        thread = runner._thread
        if thread is not None:
            threads_seen.add(id(thread))
        return answer

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(client, range(200)))

    assert answers == [("decided", k) for k in range(200)]
    assert sorted(decided) == list(range(200))  # each once: none lost, none twice
    assert runner.running and len(threads_seen) >= 2  # a new thread took over


def test_a_request_not_decided_in_time_is_decided_by_its_caller():
    decide = Recorder()
    runner = batching.Batcher(decide=decide)
    decide.hold.clear()
    try:
        answer = runner.decide("late", timeout=0.2)  # type: ignore[arg-type]
        # Decided in this thread once the wait ran out (the stuck batch still holds it).
        assert answer == ("decided", "late")
        assert decide.batches == [["late"]]
    finally:
        decide.hold.set()


def test_closing_decides_what_is_queued_then_ends_the_thread():
    decide = Recorder()
    runner = batching.Batcher(decide=decide)
    decide.hold.clear()
    futures = [runner.submit("a")]  # type: ignore[arg-type]
    assert decide.holding.wait(timeout=30)
    futures += [runner.submit(n) for n in "bc"]  # type: ignore[arg-type]
    closing = threading.Thread(target=runner.close)
    closing.start()
    _wait(lambda: runner._queue.qsize() == 3)  # b, c and the stop behind them
    decide.hold.set()
    closing.join(timeout=30)

    assert [f.result(timeout=0) for f in futures] == [("decided", n) for n in "abc"]
    assert not runner.running
    assert runner.decide("d", timeout=30) == ("decided", "d")  # type: ignore[arg-type]
    runner.close()
