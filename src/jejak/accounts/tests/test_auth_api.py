"""POST /api/v1/auth/otp and /api/v1/auth/verify: a code by SMS, then a bearer token."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from jejak.accounts.models import ApiToken, OneTimeCode, User
from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.core.phone import phone_index
from jejak.notifications.sms import read_last_code

PHONE = "+6281234567890"


@pytest.fixture
def api(db, sms_outbox, django_capture_on_commit_callbacks):
    """A CSRF-enforcing client whose posts run on-commit work (the SMS) as a real request would."""
    client = Client(enforce_csrf_checks=True)

    def post(path, body):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"/api/v1/auth/{path}", body, content_type="application/json")

    post.client = client
    return post


def code_for(sms_outbox, phone=PHONE):
    return read_last_code(sms_outbox, phone)


def test_requesting_a_code(api, sms_outbox):
    response = api("otp", {"phone": "0812-3456-7890"})
    assert response.status_code == 202
    assert response.json() == {"sent": True, "expires_in": 300}
    assert len(code_for(sms_outbox)) == 6


def test_the_answer_does_not_say_whether_the_number_has_an_account(api, sms_outbox):
    User.objects.create(username="v-known", role=Role.VISITOR, phone_index=phone_index(PHONE))
    known = api("otp", {"phone": PHONE})
    unknown = api("otp", {"phone": "+6285700001111"})
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())


def test_an_invalid_number_is_400_phone_invalid(api):
    response = api("otp", {"phone": "021-555-1234"})
    assert response.status_code == 400
    assert response.json()["code"] == "phone_invalid"
    assert response.json()["message"]


def test_a_missing_field_is_422(api):
    response = api("otp", {})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


def test_too_many_codes_is_429_with_retry_after(api):
    for _ in range(3):
        assert api("otp", {"phone": PHONE}).status_code == 202
    response = api("otp", {"phone": PHONE})
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "otp_rate_limited"
    assert 0 < body["retry_after"] <= 15 * 60
    assert response["Retry-After"] == str(body["retry_after"])


def test_verifying_returns_a_bearer_token_and_the_masked_number(api, sms_outbox):
    api("otp", {"phone": PHONE})
    response = api("verify", {"phone": "62 812 3456 7890", "code": code_for(sms_outbox)})
    assert response.status_code == 200
    body = response.json()
    assert body["user"] == {"phone_masked": "+62812****7890"}  # no primary key
    token = ApiToken.lookup(body["token"])
    assert token is not None
    assert token.name == "app"
    assert token.user.role == Role.VISITOR
    assert AuditEvent.objects.get(action="visitor.sign_in").detail["channel"] == "api"


def test_the_token_authenticates_api_calls(api, sms_outbox):
    api("otp", {"phone": PHONE})
    raw = api("verify", {"phone": PHONE, "code": code_for(sms_outbox)}).json()["token"]
    anonymous = Client().get("/api/v1/rollout")
    with_token = Client().get("/api/v1/rollout", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert anonymous.status_code == 401
    # Signed in, but a visitor may not read the rollout.
    assert with_token.status_code == 403
    assert with_token.json()["code"] == "forbidden"


def test_a_wrong_code_is_400_otp_invalid(api, sms_outbox):
    api("otp", {"phone": PHONE})
    code = code_for(sms_outbox)
    response = api("verify", {"phone": PHONE, "code": f"{(int(code) + 1) % 10**6:06d}"})
    assert response.status_code == 400
    assert response.json()["code"] == "otp_invalid"
    assert not ApiToken.objects.exists()


def test_a_used_code_is_400_otp_invalid(api, sms_outbox):
    api("otp", {"phone": PHONE})
    code = code_for(sms_outbox)
    assert api("verify", {"phone": PHONE, "code": code}).status_code == 200
    response = api("verify", {"phone": PHONE, "code": code})
    assert (response.status_code, response.json()["code"]) == (400, "otp_invalid")


def test_an_expired_code_is_400_otp_expired(api, sms_outbox):
    api("otp", {"phone": PHONE})
    OneTimeCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = api("verify", {"phone": PHONE, "code": code_for(sms_outbox)})
    assert (response.status_code, response.json()["code"]) == (400, "otp_expired")


def test_five_wrong_codes_are_423_otp_locked_even_for_the_right_one(api, sms_outbox):
    api("otp", {"phone": PHONE})
    code = code_for(sms_outbox)
    bad = f"{(int(code) + 1) % 10**6:06d}"
    statuses = [api("verify", {"phone": PHONE, "code": bad}).status_code for _ in range(5)]
    assert statuses == [400, 400, 400, 400, 423]
    response = api("verify", {"phone": PHONE, "code": code})
    assert response.status_code == 423
    body = response.json()
    assert body["code"] == "otp_locked"
    assert 14 * 60 < body["retry_after"] <= 15 * 60
    assert response["Retry-After"] == str(body["retry_after"])
    assert dt.datetime.fromisoformat(body["locked_until"]) > timezone.now()
    assert api("otp", {"phone": PHONE}).status_code == 423


def test_wrong_codes_spread_over_many_numbers_meet_429(api):
    """The probe's attack: 120 wrong codes over 30 numbers from one address."""
    statuses = [
        api("verify", {"phone": f"+62812000{n % 30:05d}", "code": "000000"}).status_code
        for n in range(120)
    ]
    assert statuses[:19] == [400] * 19
    assert set(statuses[19:]) == {429}


def test_a_staff_number_is_403_account_disabled(api, sms_outbox, make_user):
    make_user(Role.ISSUER, phone_index=phone_index(PHONE), is_staff=True)
    api("otp", {"phone": PHONE})
    response = api("verify", {"phone": PHONE, "code": code_for(sms_outbox)})
    assert (response.status_code, response.json()["code"]) == (403, "account_disabled")
    assert not ApiToken.objects.exists()


def test_the_api_speaks_the_clients_language(api):
    client = api.client
    indonesian = client.post(
        "/api/v1/auth/otp", {"phone": "x"}, content_type="application/json"
    ).json()
    english = client.post(
        "/api/v1/auth/otp",
        {"phone": "x"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    ).json()
    assert indonesian["code"] == english["code"] == "phone_invalid"
    assert indonesian["message"].startswith("Nomor HP tidak valid")
    assert english["message"] != indonesian["message"]


def test_the_routes_are_public_and_documented(db):
    schema = Client().get("/api/v1/openapi.json").json()
    for path in ("/api/v1/auth/otp", "/api/v1/auth/verify"):
        operation = schema["paths"][path]["post"]
        assert operation["tags"] == ["auth"]
        assert "security" not in operation
