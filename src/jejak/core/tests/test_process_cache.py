from __future__ import annotations

from django.core.cache import cache

from jejak.core.process_cache import VersionedProcessCache


def make(loads: list[int]) -> VersionedProcessCache[int]:
    def load() -> int:
        loads.append(len(loads) + 1)
        return loads[-1]

    return VersionedProcessCache(key="test:process-cache", load=load)


def test_the_value_is_loaded_once_and_reloaded_after_a_change():
    loads: list[int] = []
    held = make(loads)
    held.invalidate()
    assert (held.get(), held.get()) == (1, 1)
    held.invalidate(shared=False)
    assert held.get() == 2


def test_another_process_moving_the_token_is_noticed_after_the_interval():
    loads: list[int] = []
    held = make(loads)
    held.invalidate()
    assert held.get() == 1
    cache.set("test:process-cache", "moved-by-another-process", None)
    assert held.get() == 1  # checked at most every check_seconds
    assert held.get(check_seconds=0.0) == 2


def test_the_value_expires_after_the_ttl():
    loads: list[int] = []
    held = make(loads)
    assert held.get() == 1
    assert held.get(ttl=0.0) == 2
