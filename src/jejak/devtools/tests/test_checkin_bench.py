"""The benchmark's own helpers (`make bench` itself is not a test): the browser sessions
it prepares are ones Django accepts, and its accounting reads the wrk scripts' counts."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user
from django.contrib.sessions.backends.db import SessionStore
from django.middleware.csrf import CsrfViewMiddleware
from django.test import RequestFactory

from jejak.devtools.checkin_bench.data import csrf_pair, make_sessions
from jejak.devtools.management.commands.bench_checkins import mix_line, summary_counts


def _view(request):
    raise AssertionError("not called")


def _csrf_refusal(cookie: str, token: str):
    factory = RequestFactory(enforce_csrf_checks=True)
    request = factory.post("/api/v1/checkins", HTTP_X_CSRFTOKEN=token)
    request.COOKIES["csrftoken"] = cookie
    middleware = CsrfViewMiddleware(_view)
    middleware.process_request(request)
    return middleware.process_view(request, _view, (), {})


def test_the_csrf_pair_passes_django_csrf_check():
    cookie, token = csrf_pair()
    assert _csrf_refusal(cookie, token) is None
    assert _csrf_refusal(csrf_pair()[0], token).status_code == 403  # another browser's


@pytest.mark.django_db
def test_the_sessions_are_signed_in_as_their_visitors(make_user):
    visitors = [make_user("visitor"), make_user("visitor")]
    sessions = make_sessions([v.pk for v in visitors])
    for visitor, browser in zip(visitors, sessions, strict=True):
        request = RequestFactory().get("/")
        request.session = SessionStore(browser.session_key)
        assert get_user(request) == visitor
        assert f"sessionid={browser.session_key}; csrftoken=" in browser.cookie_header


def test_the_scripts_counts_and_the_mix():
    out = (
        "Running 10s test\nJEJAK sent=100 sent_screen=10 sent_family=20 sent_employee=3 "
        "accepted=100 people=130 family=20 capacity=5 capacity_people=6 black=6 roster_miss=2 "
        "s429=0 s4xx=0 s5xx=0\n"
    )
    counts = summary_counts(out)
    assert counts["people"] == 130 and counts["s5xx"] == 0
    assert mix_line(counts) == (
        "with_dependants=20.0 % of answers (20.0 % of requests sent); "
        "capacity_full=5.0 % of answers (4.6 % of people); "
        "screen_codes=10.0 % of requests sent; "
        "employee_claims=3.0 % of requests sent (1.5 % of people not on the roster); "
        "status_black=4.6 % of people"
    )
    assert summary_counts("wrk failed") == {}
