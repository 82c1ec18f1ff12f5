"""Real concurrent senders on PostgreSQL: each message is handed over exactly once."""

from __future__ import annotations

import os
import threading
import time

import pytest
from django.db import connection

from jejak.notifications import delivery
from jejak.notifications.models import Message, Status

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="needs DATABASE_URL pointing at PostgreSQL",
    ),
]


def test_concurrent_senders_skip_each_others_rows(transactional_db, monkeypatch):
    ids = [
        m.pk
        for m in Message.objects.bulk_create(
            Message(channel="sms", template="t", body=str(n)) for n in range(40)
        )
    ]
    handed: list[int] = []
    lock = threading.Lock()

    def slow_sender(message: Message) -> None:
        time.sleep(0.005)
        with lock:
            handed.append(message.pk)

    monkeypatch.setitem(delivery.SENDERS, "sms", slow_sender)
    # Small batches, so the senders take turns instead of one claiming everything.
    monkeypatch.setattr(delivery, "BATCH", 5)
    barrier = threading.Barrier(4)

    def run() -> None:
        try:
            barrier.wait()
            delivery.send_due()
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(handed) == sorted(ids)
    assert set(Message.objects.values_list("status", flat=True)) == {Status.SENT}
