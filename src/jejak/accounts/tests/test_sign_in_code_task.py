"""With a task worker, the SMS of a sign-in code is the worker's: the request that asks
for a code answers before the gateway is called, the stored task shows neither the
number nor the code, it runs before other tasks, and a code that expired is not sent."""

from __future__ import annotations

import io
import threading
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django_tasks_db.models import DBTaskResult

from jejak.accounts import tasks
from jejak.notifications import sms

PHONE = "+6281234567890"
WORKER = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def slow_gateway(monkeypatch: Any, settings: Any) -> tuple[threading.Event, list[str]]:
    """The http backend as a gateway that answers only when the test opens `gate` (at
    most 5 s); `texts` holds each message from the moment the gateway is called."""
    gate = threading.Event()
    texts: list[str] = []

    def send(to: str, text: str) -> None:
        texts.append(text)
        gate.wait(timeout=5)

    settings.JEJAK_SMS_BACKEND = "http"
    monkeypatch.setitem(sms.BACKENDS, "http", send)
    return gate, texts


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_a_code_is_sent_by_the_worker_never_inside_the_request(settings, slow_gateway):
    settings.TASKS = WORKER
    gate, texts = slow_gateway
    response = Client().post("/api/v1/auth/otp", {"phone": PHONE}, content_type="application/json")
    assert response.status_code == 202
    assert texts == []  # the gateway was not called: the request did not wait for it

    [row] = DBTaskResult.objects.all()
    assert row.task_path == tasks.send_sign_in_code.module_path
    assert row.priority == 100  # before a mass event's backlog
    stored = str(row.args_kwargs)
    assert "81234567890" not in stored and "Kode" not in stored

    gate.set()
    run_worker()
    [text] = texts
    code = sms._CODE.search(text)
    assert code is not None
    response = Client().post(
        "/api/v1/auth/verify",
        {
            "phone": PHONE,
            "code": code[1],
            "privacy_notice_version": settings.JEJAK_PRIVACY_NOTICE_VERSION,
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()


def test_a_code_that_expired_before_its_task_ran_is_not_sent(slow_gateway):
    gate, texts = slow_gateway
    gate.set()
    assert tasks.send_sign_in_code.call(tasks.seal(to=PHONE, text="x", valid_seconds=-1)) is False
    assert tasks.send_sign_in_code.call(tasks.seal(to=PHONE, text="x", valid_seconds=60)) is True
    assert texts == ["x"]


def test_a_task_that_cannot_be_read_sends_nothing(slow_gateway):
    assert tasks.send_sign_in_code.call("bm90IHNlYWxlZA==") is False
    assert slow_gateway[1] == []
