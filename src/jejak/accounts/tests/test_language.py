"""A visitor's language is kept on the account (accounts/language.py): set at sign-in
with a one-time code, changed by the language switch, never for staff (the outbox's use
of it: notifications/tests/test_outbox.py)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from jejak.accounts.roles import Role
from jejak.accounts.tests import test_otp
from jejak.accounts.tests.test_otp import verify

pytestmark = pytest.mark.django_db
ask = test_otp.ask  # the fixture that asks for a code and reads it from the SMS


def test_signing_in_in_english_keeps_english(ask):
    code = ask()
    with translation.override("en"):
        user = verify(code)
    user.refresh_from_db()
    assert user.language == "en"


def test_the_language_switch_changes_it(make_user):
    visitor = make_user(Role.VISITOR, language="id")
    client = Client()
    client.force_login(visitor)
    client.post("/i18n/setlang/", {"language": "en", "next": "/saya/"})
    client.get("/saya/")
    visitor.refresh_from_db()
    assert visitor.language == "en"
    client.post("/i18n/setlang/", {"language": "id", "next": "/saya/"})
    client.get("/saya/")
    visitor.refresh_from_db()
    assert visitor.language == "id"


def test_staff_accounts_keep_none(make_user):
    officer = make_user(Role.HEALTH_OFFICER)
    client = Client()
    client.force_login(officer)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    client.get("/tracing/")
    officer.refresh_from_db()
    assert officer.language == ""


def test_a_language_the_site_does_not_offer_is_not_kept(ask):
    from jejak.accounts.language import remember_language

    user = verify(ask())
    remember_language(user, "fr")
    user.refresh_from_db()
    assert user.language == "id"
