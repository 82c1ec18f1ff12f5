"""Redis is optional: configured and down, the console (the cache's only user) still
answers, promptly, and nothing answers 500."""

import time

from jejak.console.tests.test_console import LIVE
from jejak.settings import redis_cache


def test_the_console_answers_while_redis_is_down(settings, staff_client, hall, caplog):
    # Port 1 on loopback: nothing listens there, so every connection is refused.
    settings.CACHES = {"default": redis_cache("redis://127.0.0.1:1/0")}
    started = time.monotonic()
    for _ in range(3):
        response = staff_client.get(LIVE)
        assert response.status_code == 200
        assert response.json()["today"]["decision"]["allowed"] == 0
    assert time.monotonic() - started < 5
    assert any(r.name.startswith("django_redis") for r in caplog.records)  # the outage shows
