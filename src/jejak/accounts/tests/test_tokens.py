"""Bearer tokens lapse when idle, can be listed and revoked by their owner, and sign-out
revokes the one in use."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from jejak.accounts import token_usage
from jejak.accounts.models import ApiToken
from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.notifications.sms import read_last_code

pytestmark = pytest.mark.django_db


def bearer(raw):
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


PHONE = "+6281234567890"


def sign_in(sms_outbox, capture) -> str:
    """The app's sign-in: a code by SMS, then the token."""
    client = Client()
    with capture(execute=True):
        client.post("/api/v1/auth/otp", {"phone": PHONE}, content_type="application/json")
    body = {"phone": PHONE, "code": read_last_code(sms_outbox, PHONE)}
    answer = client.post("/api/v1/auth/verify", body, content_type="application/json")
    return answer.json()["token"]


def test_an_app_token_lapses_after_the_idle_days_and_each_use_extends_it(
    sms_outbox, django_capture_on_commit_callbacks, settings
):
    settings.JEJAK_TOKEN_IDLE_DAYS = 90
    raw = sign_in(sms_outbox, django_capture_on_commit_callbacks)
    token = ApiToken.objects.get()
    assert abs(token.expires_at - (timezone.now() + dt.timedelta(days=90))) < dt.timedelta(
        minutes=1
    )
    later = timezone.now() + dt.timedelta(days=30)
    token_usage.write([token.pk], later)
    token.refresh_from_db()
    assert token.expires_at == later + dt.timedelta(days=90)

    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert bearer(raw).get("/api/v1/me/tokens").status_code == 401


def test_tokens_made_by_the_command_do_not_lapse(make_user):
    token, _raw = ApiToken.issue(user=make_user(Role.CITY_ADMIN), name="partner")
    token_usage.write([token.pk], timezone.now())
    token.refresh_from_db()
    assert token.expires_at is None


def test_the_owner_lists_and_revokes_tokens(make_user):
    visitor = make_user(Role.VISITOR)
    _phone, raw_phone = ApiToken.issue(user=visitor, name="app")
    tablet, raw_tablet = ApiToken.issue(user=visitor, name="app")
    other, _ = ApiToken.issue(user=make_user(Role.VISITOR), name="app")

    listed = bearer(raw_phone).get("/api/v1/me/tokens").json()
    assert [(t["id"], t["current"]) for t in listed] == [(tablet.pk, False), (_phone.pk, True)]

    assert bearer(raw_phone).delete(f"/api/v1/me/tokens/{other.pk}").status_code == 404
    assert bearer(raw_phone).delete(f"/api/v1/me/tokens/{tablet.pk}").status_code == 204
    assert bearer(raw_tablet).get("/api/v1/me/tokens").status_code == 401
    assert bearer(raw_phone).get("/api/v1/me/tokens").status_code == 200
    event = AuditEvent.objects.get(action="accounts.token_revoked")
    assert (event.actor, event.detail["token"]) == (visitor, tablet.pk)
    assert bearer(raw_phone).delete(f"/api/v1/me/tokens/{tablet.pk}").status_code == 404


def test_sign_out_revokes_the_token_in_use_only(make_user):
    visitor = make_user(Role.VISITOR)
    _a, raw_a = ApiToken.issue(user=visitor, name="app")
    _b, raw_b = ApiToken.issue(user=visitor, name="app")
    assert bearer(raw_a).post("/api/v1/auth/logout").status_code == 204
    assert bearer(raw_a).get("/api/v1/me/tokens").status_code == 401
    assert bearer(raw_b).get("/api/v1/me/tokens").status_code == 200


def test_sign_out_of_a_browser_ends_the_session(client_for):
    client = client_for(Role.VISITOR)
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert client.get("/api/v1/me/tokens").status_code == 401
