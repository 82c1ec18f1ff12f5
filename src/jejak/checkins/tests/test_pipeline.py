"""POST /api/v1/checkins is an ordinary Django request whatever the caller: a bearer
token or the web app's session get the same answer, Django's middleware and host check
apply, and the batcher behind the view loses and hangs nothing when its thread dies."""

from __future__ import annotations

import json
import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from jejak.accounts.models import ApiToken
from jejak.accounts.roles import Role
from jejak.checkins import batcher as batching
from jejak.checkins import record
from jejak.checkins.models import CheckIn, CheckInRequest
from jejak.checkins.tests.conftest import code_of
from jejak.screening.errors import ErrorCode, ScreeningError
from jejak.screening.tests.factories import make_person

PATH = "/api/v1/checkins"


def token_for(user: Any) -> str:
    return ApiToken.issue(user=user, name="phone")[1]


def payload(venue: Any, **changes: Any) -> str:
    fields = {"qr": code_of(venue), "nonce": str(uuid.uuid4()), "people": ["self"]}
    return json.dumps(fields | changes)


@pytest.mark.django_db
def test_a_bad_host_gets_django_s_400_and_nothing_is_stored(make_visitor, hotel, policy):
    visitor = make_visitor("hijau")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(visitor)}", HTTP_HOST="evil.example")

    answer = client.post(PATH, payload(hotel), content_type="application/json")

    assert answer.status_code == 400
    assert not CheckIn.objects.exists()


@pytest.mark.django_db
def test_no_rule_set_is_answered_in_the_caller_s_language(make_visitor, hotel, policy, monkeypatch):
    def none(**kwargs: Any) -> Any:
        raise ScreeningError(ErrorCode.NO_RULE_SET)

    monkeypatch.setattr(record.screening, "statuses", none)
    visitor = make_visitor("hijau")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(visitor)}", HTTP_ACCEPT_LANGUAGE="en")

    answer = client.post(PATH, payload(hotel), content_type="application/json")

    assert answer.status_code == 503 and answer["Content-Language"] == "en"
    assert answer.json() == {
        "code": "no_rule_set",
        "message": "No screening rule set was in force at that time.",
    }


def _unverified_visitor(make_user: Any, serial: int) -> Any:
    account = make_user(Role.VISITOR)
    make_person(account, unverified=True, serial=serial)
    return account


_SCENARIOS = {
    # name: (colour of the two visitors, body changes)
    "hijau": ("hijau", {}),
    "kuning": ("kuning", {}),
    "merah": ("merah", {}),
    "hitam": ("hitam", {}),
    "unverified": ("unverified", {}),
    "employee off the roster": ("merah", {"visitor_type": "employee"}),
    "person unknown": ("hijau", {"people": ["zzzzzzzzzzzz"]}),
    "scan too old": ("hijau", {"scanned_at": "2000-01-01T00:00:00+07:00"}),
    "not a code": ("hijau", {"qr": "JJK1.not-a-code"}),
}
# Headers the middleware stack sets on every answer, which both paths must carry.
_MIDDLEWARE_HEADERS = (
    "Content-Type",
    "Content-Language",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("scenario", sorted(_SCENARIOS))
def test_a_bearer_token_and_the_web_app_s_session_get_the_same_answer(
    make_visitor, make_user, hotel, policy, scenario, language
):
    colour, changes = _SCENARIOS[scenario]
    if colour == "unverified":
        phone_visitor = _unverified_visitor(make_user, 8801)
        web_visitor = _unverified_visitor(make_user, 8802)
    else:
        phone_visitor, web_visitor = make_visitor(colour), make_visitor(colour)
    body = payload(hotel, **changes)
    phone = Client(
        HTTP_AUTHORIZATION=f"Bearer {token_for(phone_visitor)}", HTTP_ACCEPT_LANGUAGE=language
    )
    web = Client(HTTP_ACCEPT_LANGUAGE=language, enforce_csrf_checks=True)
    web.force_login(web_visitor)
    web.get("/saya/pindai/")  # the web app's pages set the CSRF cookie its script sends back
    csrf = web.cookies["csrftoken"].value

    got = phone.post(PATH, body, content_type="application/json")
    want = web.post(PATH, body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)

    assert got.status_code == want.status_code
    for header in _MIDDLEWARE_HEADERS:
        assert got.get(header) == want.get(header), header
    assert got["Content-Language"] == language
    if got.status_code != 201:
        assert got.json() == want.json()
        return
    fields = ("decision", "reasons", "messages", "colour", "colour_reasons", "notes", "action")
    assert [{f: p[f] for f in fields} for p in got.json()["people"]] == [
        {f: p[f] for f in fields} for p in want.json()["people"]
    ]


@pytest.mark.django_db
def test_the_web_app_s_path_without_its_csrf_token_is_refused(make_visitor, hotel, policy):
    web = Client(enforce_csrf_checks=True)
    web.force_login(make_visitor("hijau"))

    answer = web.post(PATH, payload(hotel), content_type="application/json")

    assert answer.status_code == 403  # ninja's CSRF refusal
    assert not CheckIn.objects.exists()


@pytest.mark.django_db
def test_a_database_outage_answers_503_with_retry_after(make_visitor, hotel, policy, monkeypatch):
    from django.db import OperationalError

    def down(**kwargs: Any) -> Any:
        raise OperationalError("the database system is shutting down")

    monkeypatch.setattr(record, "record_many", down)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(make_visitor('hijau'))}")

    answer = client.post(PATH, payload(hotel), content_type="application/json")

    assert answer.status_code == 503 and answer["Retry-After"] == "2"
    assert answer.json()["code"] == "service_unavailable"


@pytest.mark.postgres
@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="needs DATABASE_URL pointing at PostgreSQL (concurrent connections)",
)
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_killing_the_batcher_s_thread_mid_load_loses_and_hangs_nothing(
    reference_data, make_venue, make_visitor, policy, monkeypatch
):
    """Phones check in from eight threads through the view; the batcher's thread is
    killed while it holds requests. Every request is answered, each decision is stored
    once, and a new thread takes over."""
    venue = make_venue(capacity=1000)
    qr = code_of(venue)
    tokens = [token_for(make_visitor("hijau")) for _ in range(60)]

    class Dying(batching.Batcher):
        def __init__(self) -> None:
            super().__init__()
            self.die = threading.Event()
            self.threads: set[threading.Thread] = set()

        def _turn(self, taken: list[Any]) -> None:
            self.threads.add(threading.current_thread())
            if self.die.is_set():
                self.die.clear()
                taken.append(self._queue.get())
                raise SystemExit  # the thread ends holding a request
            super()._turn(taken)

    dying = Dying()
    monkeypatch.setattr(batching, "_batcher", dying)
    assert not connection.in_atomic_block  # so the view hands its request to the batcher

    def phone(k: int) -> tuple[int, str]:
        if k == 30:
            dying.die.set()
        body = json.dumps({"qr": qr, "nonce": str(uuid.uuid4()), "people": ["self"]})
        try:
            answer = Client(HTTP_AUTHORIZATION=f"Bearer {tokens[k]}").post(
                PATH, body, content_type="application/json"
            )
            return answer.status_code, answer.json()["people"][0]["checkin"]
        finally:
            connection.close()

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(phone, range(60)))
    finally:
        dying.close()  # its connection must not outlive the test database

    assert [status for status, _id in answers] == [201] * 60
    stored = set(CheckIn.objects.values_list("public_id", flat=True))
    assert stored == {checkin for _status, checkin in answers}
    assert CheckInRequest.objects.count() == 60
    assert dying.decided >= 1 and len(dying.threads) >= 2
