"""Password sign-in is throttled (django-axes) and staff sessions expire."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from jejak.accounts import middleware
from jejak.accounts.roles import Role

pytestmark = pytest.mark.django_db


def attempt(client: Client, username: str, password: str, path: str = "/login/") -> int:
    return client.post(path, {"username": username, "password": password}).status_code


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(make_user: Any) -> None:
    user = make_user(Role.CITY_ADMIN)
    client = Client()
    assert [attempt(client, user.username, "wrong") for _ in range(4)] == [200] * 4
    locked = client.post("/login/", {"username": user.username, "password": "wrong"})
    assert locked.status_code == 429
    assert "Terlalu banyak percobaan masuk" in locked.content.decode()
    # From another address too: the account is what is locked.
    elsewhere = Client(REMOTE_ADDR="10.9.8.7")
    assert attempt(elsewhere, user.username, "test-password-123") == 429


def test_one_address_is_locked_across_accounts(make_user: Any) -> None:
    users = [make_user(Role.HEALTH_OFFICER) for _ in range(5)]
    attacker = Client(REMOTE_ADDR="10.1.1.1")
    statuses = [attempt(attacker, u.username, "wrong") for u in users]
    assert statuses[-1] == 429
    # Another address signs the same people in.
    assert attempt(Client(REMOTE_ADDR="10.2.2.2"), users[0].username, "test-password-123") == 302


def test_the_admin_sign_in_is_throttled_the_same_way(make_user: Any) -> None:
    user = make_user(Role.ISSUER, is_staff=True)
    client = Client()
    statuses = [attempt(client, user.username, "wrong", "/admin/login/") for _ in range(5)]
    assert statuses[-1] == 429


def test_a_right_password_resets_the_count(make_user: Any) -> None:
    user = make_user(Role.CITY_ADMIN)
    client = Client()
    for _ in range(4):
        attempt(client, user.username, "wrong")
    assert attempt(client, user.username, "test-password-123") == 302
    assert [attempt(Client(), user.username, "wrong") for _ in range(4)] == [200] * 4


def _age_session(client: Client, *, seen: float, started: float) -> None:
    session = client.session
    session[middleware.SEEN] = time.time() - seen
    session[middleware.STARTED] = time.time() - started
    session.save()


def test_a_staff_session_ends_after_30_idle_minutes(client_for: Any, city: Any) -> None:
    client = client_for(Role.CITY_ADMIN, region=city)
    assert client.get("/venues/").status_code == 200
    _age_session(client, seen=29 * 60, started=29 * 60)
    assert client.get("/venues/").status_code == 200
    _age_session(client, seen=31 * 60, started=31 * 60)
    ended = client.get("/venues/")
    assert ended.status_code == 302 and ended["Location"].startswith("/login/?next=")
    assert client.get("/venues/")["Location"].startswith("/login/")


def test_a_staff_session_ends_12_hours_after_sign_in_however_busy(
    client_for: Any, city: Any
) -> None:
    client = client_for(Role.CITY_ADMIN, region=city)
    client.get("/venues/")
    _age_session(client, seen=10, started=12 * 3600 + 1)
    assert client.get("/venues/").status_code == 302
    api = client.get("/api/v1/venues")
    assert api.status_code == 401


def test_the_session_cookie_lasts_the_idle_time_for_staff_only(
    make_user: Any, settings: Any
) -> None:
    staff = make_user(Role.CITY_ADMIN)
    client = Client()
    response = client.post("/login/", {"username": staff.username, "password": "test-password-123"})
    assert response.cookies["sessionid"]["max-age"] == 30 * 60


def test_visitors_keep_the_long_session(client_for: Any) -> None:
    client = client_for(Role.VISITOR)
    session = client.session
    assert middleware.STARTED not in session
    client.get("/saya/")
    assert middleware.STARTED not in client.session
