"""The process cache: one value per process, reloaded when the version row of its key
moves. Another process is played by a second VersionedProcessCache with the same key and
a value of its own; the clock is a fake one the tests move."""

from __future__ import annotations

import logging
import threading
import time
import types
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from redis.exceptions import ConnectionError as RedisConnectionError

from jejak.core import process_cache
from jejak.core.models import CacheVersion
from jejak.core.process_cache import VersionedProcessCache

KEY = "test:process-cache"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(process_cache, "time", types.SimpleNamespace(monotonic=fake))
    monkeypatch.setattr(process_cache, "CHECK_SECONDS", 1.0)
    return fake


@pytest.fixture
def rows() -> dict[str, int]:
    """The data behind the caches, as the database would hold it."""
    return {"value": 1}


@pytest.fixture
def process(rows: dict[str, int]) -> Callable[..., VersionedProcessCache[int]]:
    """process(key=KEY): one process's cache of rows["value"], counting its loads."""

    def make(key: str = KEY, **kwargs: Any) -> VersionedProcessCache[int]:
        def load() -> int:
            held.loads += 1  # type: ignore[attr-defined]
            return rows["value"]

        held = VersionedProcessCache(key=key, load=load, **kwargs)
        held.loads = 0  # type: ignore[attr-defined]
        return held

    return make


def version_reads(queries: CaptureQueriesContext) -> int:
    return sum("core_cacheversion" in q["sql"] for q in queries.captured_queries)


def test_the_value_is_loaded_once_and_reloaded_after_a_change_here(db, clock, rows, process):
    held = process()
    assert (held.get(), held.get(), held.loads) == (1, 1, 1)
    rows["value"] = 2
    held.invalidate(shared=False)
    assert (held.get(), held.loads) == (2, 2)


def test_another_process_reloads_after_the_commit(
    db, clock, rows, process, django_capture_on_commit_callbacks
):
    writer, reader = process(), process()
    assert (writer.get(), reader.get()) == (1, 1)
    with django_capture_on_commit_callbacks(execute=True):
        rows["value"] = 2
        writer.changed()
        assert writer.get() == 2  # the writer forgets at once
        clock.advance(5)
        assert reader.get() == 1  # nothing is announced before the commit
    clock.advance(1)
    assert (reader.get(), reader.loads) == (2, 2)
    assert CacheVersion.objects.get(key=KEY).version == 1


def test_a_version_moved_by_another_process_is_read_within_check_seconds(db, clock, rows, process):
    reader = process()
    assert reader.get() == 1
    rows["value"] = 2
    process_cache.bump(KEY)  # another process's write committed
    clock.advance(0.9)
    assert reader.get() == 1
    clock.advance(0.1)
    assert (reader.get(), reader.loads) == (2, 2)


def test_no_query_between_checks_and_one_query_for_all_keys(db, clock, process):
    first, second = process("test:first"), process("test:second")
    first.get(), second.get()
    with CaptureQueriesContext(connection) as queries:
        for _ in range(100):
            first.get(), second.get()
            clock.advance(0.009)
    assert len(queries) == 0
    clock.advance(0.2)  # past a second since the last check
    with CaptureQueriesContext(connection) as queries:
        first.get(), second.get()
    assert version_reads(queries) == 1


def test_a_warm_get_costs_no_query(db, clock, process, django_assert_num_queries):
    held = process()
    held.get()
    with django_assert_num_queries(0):
        for _ in range(1000):
            held.get()


def test_a_write_during_a_load_is_seen_at_the_next_check(db, clock, rows, process):
    # The version is read before the rows: a write that commits while this process loads
    # leaves the version it holds behind, so the next check reloads.
    reader = process()
    original = reader._load

    def load_then_another_process_writes() -> int:
        value = original()
        if reader.loads == 1:
            rows["value"] = 2
            process_cache.bump(KEY)  # another process's write committed
        return value

    reader._load = load_then_another_process_writes  # type: ignore[method-assign]
    assert reader.get() == 1
    clock.advance(1)
    assert reader.get() == 2


def test_a_table_emptied_and_bumped_to_the_same_version_still_reloads(db, clock, rows, process):
    writer, reader = process(), process()
    writer.invalidate()
    assert reader.get() == 1
    CacheVersion.objects.all().delete()  # a restore, a flushed test database
    rows["value"] = 2
    writer.invalidate()
    assert CacheVersion.objects.get(key=KEY).version == 1
    clock.advance(1)
    assert reader.get() == 2


def test_a_failing_version_read_serves_the_held_value_and_is_retried(
    db, clock, rows, process, caplog
):
    writer, reader = process(), process()
    assert reader.get() == 1
    rows["value"] = 2
    writer.invalidate()
    with connection.cursor() as cursor:  # the table is gone (say, code before its migration)
        cursor.execute("ALTER TABLE core_cacheversion RENAME TO core_cacheversion_away")
    clock.advance(1)
    with caplog.at_level(logging.WARNING, logger="jejak.core.process_cache"):
        assert reader.get() == 1
    assert "Cannot read the process caches' versions" in caplog.text
    # The caller's transaction is still usable (a savepoint took the error on PostgreSQL).
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE core_cacheversion_away RENAME TO core_cacheversion")
    assert reader.get() == 1  # retried at the next check, not on every call
    clock.advance(1)
    assert reader.get() == 2


def test_a_cold_load_when_the_version_cannot_be_read_reloads_once_it_can(db, clock, rows, process):
    reader = process()
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE core_cacheversion RENAME TO core_cacheversion_away")
    assert reader.get() == 1
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE core_cacheversion_away RENAME TO core_cacheversion")
    rows["value"] = 2
    clock.advance(1)
    assert (reader.get(), reader.loads) == (2, 2)


def test_the_value_expires_after_the_safety_ttl(db, clock, rows, process):
    held = process(ttl=60.0)
    assert held.get() == 1
    rows["value"] = 2  # a write nobody announced
    clock.advance(59)
    assert held.get() == 1
    clock.advance(1)
    assert held.get() == 2


def test_threads_of_one_process_load_a_cold_value_once(db, clock, process):
    held = process()
    held.get()
    held.invalidate(shared=False)
    slow = held._load

    def load() -> int:
        time.sleep(0.05)
        return slow()

    held._load = load  # type: ignore[method-assign]
    barrier = threading.Barrier(8)

    def read() -> None:
        barrier.wait()
        assert held.get() == 1

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert held.loads == 2


def test_a_redis_outage_does_not_reach_the_hot_path(db, clock, rows, process, settings):
    # Nothing listens on port 1: every use of the Django cache would raise.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    with pytest.raises(RedisConnectionError):
        cache.get("anything")
    writer, reader = process(), process()
    assert reader.get() == 1
    rows["value"] = 2
    writer.changed()
    writer.invalidate()
    clock.advance(1)
    assert (writer.get(), reader.get()) == (2, 2)
