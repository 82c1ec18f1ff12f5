"""The privacy notice (/privasi/), its acceptance at sign-up and again after each change."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from jejak.accounts import privacy
from jejak.accounts.models import ApiToken, OneTimeCode, PrivacyAcceptance, User
from jejak.accounts.roles import Role
from jejak.accounts.tests.factories import UserFactory
from jejak.audit.models import AuditEvent
from jejak.core.phone import phone_index
from jejak.notifications.sms import read_last_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("privacy_notice_enforced")]

PHONE = "+6281234567890"


@pytest.fixture
def web(db: None, sms_outbox: Any, django_capture_on_commit_callbacks: Any) -> Client:
    """A CSRF-enforcing browser; `post_form` carries the token and runs on-commit work."""
    client = Client(enforce_csrf_checks=True)

    def post(path: str, data: dict[str, str]) -> Any:
        client.get(path)
        token = client.cookies["csrftoken"].value
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, {**data, "csrfmiddlewaretoken": token})

    client.post_form = post  # type: ignore[attr-defined]
    return client


@pytest.fixture
def api(db: None, sms_outbox: Any, django_capture_on_commit_callbacks: Any) -> Any:
    client = Client()

    def post(path: str, body: dict[str, Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"/api/v1/{path}", body, content_type="application/json")

    return post


def bearer(user: User) -> Client:
    _token, raw = ApiToken.issue(user=user, name="app")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def visitor(version: str = "1.0") -> User:
    return UserFactory(role=Role.VISITOR, privacy_notice_version=version)


# --- The notice ------------------------------------------------------------------------


def test_the_notice_is_public_and_configured(client: Client, settings: Any) -> None:
    settings.JEJAK_PRIVACY_NOTICE_VERSION = "3.1"
    settings.JEJAK_PRIVACY_NOTICE_DATE = "2025-01-02"
    settings.JEJAK_CONTROLLER_NAME = "Dinas Kesehatan Kota Contoh"
    settings.JEJAK_DPO_NAME = "Rina Pelindung"
    settings.JEJAK_DPO_EMAIL = "ppdp@contoh.go.id"
    settings.JEJAK_DPO_PHONE = "(021) 555-0100"
    settings.JEJAK_CHECKIN_RETENTION_DAYS = 14
    response = client.get("/privasi/")
    assert response.status_code == 200
    assert response["Content-Language"] == "id"
    page = response.content.decode()
    assert '<html lang="id">' in page
    assert "<h1>Pemberitahuan Privasi</h1>" in page
    assert "Versi 3.1, berlaku sejak 2 Januari 2025." in page
    for shown in (
        "Dinas Kesehatan Kota Contoh",
        "Rina Pelindung",
        "mailto:ppdp@contoh.go.id",
        "(021) 555-0100",
        "Riwayat check-in: 14 hari",
        "UU PDP",
        "Hak Anda",
    ):
        assert shown in page, shown


def test_the_notice_in_english_through_the_language_switch(client: Client) -> None:
    client.post("/i18n/setlang/", {"language": "en", "next": "/privasi/"})
    response = client.get("/privasi/")
    assert response["Content-Language"] == "en"
    page = response.content.decode()
    assert '<html lang="en">' in page
    # The English text is the catalogue's (src/jejak/locale): the heading is translated
    # like every other string of the page.
    with translation.override("en"):
        heading = translation.gettext("Pemberitahuan Privasi")
    assert f"<h1>{heading}</h1>" in page
    assert "dpo@jejak.example" in page


def test_the_sign_in_page_and_the_layout_link_the_notice(client: Client, db: None) -> None:
    page = client.get("/masuk/").content.decode()
    assert page.count('href="/privasi/"') >= 2  # beside the form, and in the footer
    assert 'class="site-footer"' in client.get("/login/").content.decode()


def test_the_api_describes_the_current_notice(client: Client, settings: Any) -> None:
    settings.JEJAK_PRIVACY_NOTICE_VERSION = "2.0"
    response = client.get("/api/v1/privacy-notice")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == "2.0"
    assert body["url"] == "/privasi/"
    assert body["effective_date"] == settings.JEJAK_PRIVACY_NOTICE_DATE
    assert body["data_protection_officer"]["email"] == settings.JEJAK_DPO_EMAIL
    assert body["checkin_retention_days"] == settings.JEJAK_CHECKIN_RETENTION_DAYS


# --- Sign-up ---------------------------------------------------------------------------


def test_web_sign_up_needs_the_box_ticked_and_keeps_the_code(web: Any, sms_outbox: Any) -> None:
    web.post_form("/masuk/", {"action": "request", "phone": "0812-3456-7890"})
    code = read_last_code(sms_outbox, PHONE)
    refused = web.post_form("/masuk/", {"action": "verify", "code": code})
    assert refused.status_code == 200
    assert "setujui Pemberitahuan Privasi" in refused.content.decode()
    assert not User.objects.filter(phone_index=phone_index(PHONE)).exists()
    assert OneTimeCode.objects.get().used_at is None

    done = web.post_form(
        "/masuk/",
        {
            "action": "verify",
            "code": code,
            "accept_privacy": "1",
            "privacy_notice_version": privacy.current_version(),
        },
    )
    assert done["Location"] == "/saya/"
    user = User.objects.get(phone_index=phone_index(PHONE))
    assert user.privacy_notice_version == privacy.current_version()
    acceptance = PrivacyAcceptance.objects.get(user=user)
    assert (acceptance.version, acceptance.channel) == (privacy.current_version(), "web")
    assert AuditEvent.objects.filter(action="visitor.privacy_notice_accepted").count() == 1
    assert web.get("/saya/").status_code == 200


def test_api_sign_up_is_refused_without_the_current_version(
    api: Any, sms_outbox: Any, settings: Any
) -> None:
    settings.JEJAK_PRIVACY_NOTICE_VERSION = "2.0"
    api("auth/otp", {"phone": PHONE})
    code = read_last_code(sms_outbox, PHONE)
    for sent in ({}, {"privacy_notice_version": "1.0"}):
        refused = api("auth/verify", {"phone": PHONE, "code": code, **sent})
        assert refused.status_code == 403
        assert refused.json()["code"] == "privacy_notice_not_accepted"
        assert refused.json()["version"] == "2.0"
    assert not User.objects.filter(phone_index=phone_index(PHONE)).exists()

    done = api("auth/verify", {"phone": PHONE, "code": code, "privacy_notice_version": "2.0"})
    assert done.status_code == 200
    acceptance = PrivacyAcceptance.objects.get()
    assert (acceptance.version, acceptance.channel) == ("2.0", "api")
    profile = Client(HTTP_AUTHORIZATION=f"Bearer {done.json()['token']}").get(
        "/api/v1/me/dependants"
    )
    assert profile.status_code == 200


def test_an_existing_account_signs_in_and_is_then_asked(api: Any, sms_outbox: Any) -> None:
    UserFactory(role=Role.VISITOR, phone_index=phone_index(PHONE), privacy_notice_version="")
    api("auth/otp", {"phone": PHONE})
    done = api("auth/verify", {"phone": PHONE, "code": read_last_code(sms_outbox, PHONE)})
    assert done.status_code == 200
    app = Client(HTTP_AUTHORIZATION=f"Bearer {done.json()['token']}")
    refused = app.get("/api/v1/me/dependants")
    assert refused.status_code == 403
    assert refused.json()["code"] == "privacy_notice_changed"
    assert PrivacyAcceptance.objects.count() == 0


# --- A new version ---------------------------------------------------------------------


def test_a_new_version_sends_the_visitor_to_accept_it_and_back(web: Any, settings: Any) -> None:
    user = visitor("1.0")
    settings.JEJAK_PRIVACY_NOTICE_VERSION = "2.0"
    web.force_login(user)
    asked = web.get("/saya/riwayat/?hari=7")
    assert asked.status_code == 302
    assert asked["Location"] == "/privasi/terima/?next=%2Fsaya%2Friwayat%2F%3Fhari%3D7"
    page = web.get(asked["Location"]).content.decode()
    assert "Pemberitahuan Privasi telah diperbarui" in page
    assert 'name="version" value="2.0"' in page
    # What stays open: the notice, a copy of one's data, closing the account.
    for path in ("/privasi/", "/saya/data/", "/saya/tutup-akun/"):
        assert web.get(path).status_code == 200, path

    unticked = web.post_form("/privasi/terima/", {"version": "2.0", "next": "/saya/"})
    assert unticked.status_code == 200
    stale = web.post_form("/privasi/terima/", {"version": "1.0", "agree": "1"})
    assert stale.status_code == 200
    assert not PrivacyAcceptance.objects.exists()

    done = web.post_form(
        "/privasi/terima/", {"version": "2.0", "agree": "1", "next": "/saya/riwayat/"}
    )
    assert done["Location"] == "/saya/riwayat/"
    user.refresh_from_db()
    assert user.privacy_notice_version == "2.0"
    assert PrivacyAcceptance.objects.get(user=user).channel == "web"
    assert web.get("/saya/riwayat/").status_code == 200


def test_a_new_version_refuses_the_api_until_accepted(settings: Any) -> None:
    user = visitor("1.0")
    settings.JEJAK_PRIVACY_NOTICE_VERSION = "2.0"
    app = bearer(user)
    refused = app.get("/api/v1/me/dependants")
    assert refused.status_code == 403
    assert refused.json() | {"message": ""} == {
        "code": "privacy_notice_changed",
        "message": "",
        "version": "2.0",
        "notice_url": "/privasi/",
        "accept_url": "/privasi/terima/",
    }
    # What stays open: the notice, the acceptance, the tokens, the data rights, signing out.
    for path in ("/api/v1/privacy-notice", "/api/v1/me/tokens", "/api/v1/me/reads"):
        assert app.get(path).status_code == 200, path

    outdated = app.post(
        "/api/v1/privacy-notice/accept", {"version": "1.0"}, content_type="application/json"
    )
    assert outdated.status_code == 409
    assert outdated.json()["code"] == "privacy_notice_outdated"
    accepted = app.post(
        "/api/v1/privacy-notice/accept", {"version": "2.0"}, content_type="application/json"
    )
    assert accepted.status_code == 200
    assert accepted.json()["version"] == "2.0"
    assert PrivacyAcceptance.objects.get(user=user).channel == "api"
    assert app.get("/api/v1/me/dependants").status_code == 200
    assert app.post("/api/v1/auth/logout").status_code == 204


def test_the_session_api_is_refused_too(settings: Any) -> None:
    settings.JEJAK_PRIVACY_NOTICE_VERSION = "2.0"
    browser = Client()
    browser.force_login(visitor("1.0"))
    assert browser.get("/api/v1/me/dependants").json()["code"] == "privacy_notice_changed"


def test_staff_are_never_asked(client: Client, settings: Any, make_user: Any) -> None:
    settings.JEJAK_PRIVACY_NOTICE_VERSION = "2.0"
    officer = make_user(Role.HEALTH_OFFICER, privacy_notice_version="")
    client.force_login(officer)
    assert client.get("/venues/").status_code == 200
    assert client.get("/privasi/terima/")["Location"] == "/privasi/"
    refused = bearer(officer).post(
        "/api/v1/privacy-notice/accept", {"version": "2.0"}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "visitor_only"
    assert not PrivacyAcceptance.objects.exists()


def test_an_accepted_notice_costs_no_query(
    client: Client, monkeypatch: pytest.MonkeyPatch, django_assert_num_queries: Any
) -> None:
    user = visitor(privacy.current_version())
    with django_assert_num_queries(0):
        assert not privacy.needs_acceptance(user)
    client.force_login(user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as seen:
            assert client.get("/saya/riwayat/").status_code == 200
        return len(seen)

    queries()  # the first request after a sign-in may keep the visitor's language once
    enforced = queries()
    monkeypatch.setattr(privacy, "needs_acceptance", lambda user: False)
    assert queries() == enforced


def test_the_openapi_document_names_the_refusals(client: Client) -> None:
    document = client.get("/api/v1/openapi.json").json()
    paths = document["paths"]
    verify = paths["/api/v1/auth/verify"]["post"]
    assert "privacy_notice_not_accepted" in verify["description"]
    schema = document["components"]["schemas"]["VerifyIn"]
    assert "privacy_notice_version" in schema["properties"]
    tokens = paths["/api/v1/me/tokens"]["get"]["responses"]
    assert "privacy_notice_changed" not in tokens.get("403", {}).get("description", "")
    secured = [
        op
        for path, ops in paths.items()
        for op in ops.values()
        if op.get("security") and not privacy.open_api_path(path)
    ]
    assert all("403" in op["responses"] for op in secured)
    assert "privacy_notice_changed" in paths["/api/v1/me/dependants"]["get"]["responses"]["403"][
        "description"
    ] or any(
        "privacy_notice_changed" in op["responses"]["403"].get("description", "") for op in secured
    )
