"""The OAuth 2.0 code flow with PKCE end to end through Django's test client: consent page,
code, token, partner API, refresh, revocation and introspection; and what the library's
endpoints refuse."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken, Grant, RefreshToken

from jejak.audit.models import AuditEvent
from jejak.checkins.tests.conftest import code_of
from jejak.partners.models import Connection, PartnerCheckIn, PartnerStatus
from jejak.partners.service import do_set_status
from jejak.partners.tests.conftest import (
    REDIRECT,
    authorize_url,
    basic,
    consent,
    exchange,
    pkce,
)

pytestmark = pytest.mark.django_db


def api(tokens_or_header: Any, method: str, path: str, body: Any = None) -> Any:
    headers = tokens_or_header if isinstance(tokens_or_header, dict) else tokens_or_header.headers()
    client = Client()
    if method == "GET":
        return client.get(f"/api/v1/partner{path}", **headers)
    return client.post(
        f"/api/v1/partner{path}", json.dumps(body), content_type="application/json", **headers
    )


def test_the_whole_flow(visitor, partner, hotel, policy):
    citizen = Client()
    citizen.force_login(visitor)
    code, verifier = consent(citizen, partner, "checkin status:read")
    answer = exchange(partner, code, verifier)
    assert answer.status_code == 200, answer.content
    tokens = answer.json()
    assert tokens["token_type"] == "Bearer"
    assert sorted(tokens["scope"].split()) == ["checkin", "status:read"]
    # Only the tokens' hashes are kept.
    assert not AccessToken.objects.filter(token=tokens["access_token"]).exists()
    connection = Connection.objects.get(account=visitor)
    assert connection.scopes == "checkin status:read"

    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}
    me = api(bearer, "GET", "/me")
    assert me.status_code == 200, me.content
    [person] = me.json()["people"]
    assert person["relation"] == "self" and len(person["person"]) == 24

    checked = api(
        bearer,
        "POST",
        "/checkins",
        {"qr": code_of(hotel), "nonce": str(uuid.uuid4()), "people": [person["person"]]},
    )
    assert checked.status_code == 201, checked.content
    [entry] = checked.json()["people"]
    assert entry["decision"] == "allowed" and entry["door_colour"] == "hijau"
    assert entry["person"] == person["person"]
    assert PartnerCheckIn.objects.filter(account=visitor, partner=partner.partner).count() == 1

    status = api(bearer, "GET", "/status")
    assert status.status_code == 200
    assert status.json()["people"][0]["colour"] == "hijau"
    assert status.json()["people"][0]["reasons"] is None

    # Refresh: a new pair, the old refresh token spent.
    refreshed = Client().post(
        "/oauth/token/",
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        **basic(partner),
    )
    assert refreshed.status_code == 200, refreshed.content
    new = refreshed.json()
    assert new["access_token"] != tokens["access_token"]
    assert api(bearer, "GET", "/me").status_code == 401
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {new['access_token']}"}
    assert api(bearer, "GET", "/me").status_code == 200

    # Introspection: the partner's own token, named by a pairwise sub.
    seen = Client().post("/oauth/introspect/", {"token": new["access_token"]}, **basic(partner))
    assert seen.status_code == 200, seen.content
    found = seen.json()
    assert found["active"] is True and found["client_id"] == partner.client_id
    assert found["sub"] == me.json()["sub"]
    assert "username" not in found

    # Revocation: the token stops working on the next call.
    revoked = Client().post("/oauth/revoke/", {"token": new["access_token"]}, **basic(partner))
    assert revoked.status_code == 200
    refused = api(bearer, "GET", "/me")
    assert refused.status_code == 401 and refused.json()["code"] == "invalid_token"
    gone = Client().post("/oauth/introspect/", {"token": new["access_token"]}, **basic(partner))
    assert gone.json() == {"active": False}


def test_public_client_uses_pkce_without_secret(make_partner, visitor, connect):
    app = make_partner("Dompet", confidential=False)
    assert app.client_secret == ""
    tokens = connect(visitor, app, "checkin")
    assert api(tokens, "GET", "/me").status_code == 200


def test_a_code_without_its_verifier_is_refused(visitor, partner):
    citizen = Client()
    citizen.force_login(visitor)
    code, _verifier = consent(citizen, partner, "checkin")
    answer = exchange(partner, code, "x" * 50)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_pkce_is_required_and_plain_refused(visitor, partner):
    citizen = Client()
    citizen.force_login(visitor)
    url = authorize_url(partner, "checkin", "c" * 43, "s")
    without = url.split("&code_challenge=")[0]
    page = citizen.get(without)
    assert page.status_code in (302, 400)
    if page.status_code == 302:
        assert "error=" in page["Location"]
    plain = url.replace("S256", "plain")
    page = citizen.get(plain)
    if page.status_code == 200:
        data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
        page = citizen.post("/oauth/authorize/", data | {"allow": "true"})
    assert page.status_code in (302, 400)
    if page.status_code == 302:
        assert "error=" in page["Location"] and "code=" not in page["Location"]
    assert not Grant.objects.exists()


def test_redirect_uri_must_match_exactly(visitor, partner):
    citizen = Client()
    citizen.force_login(visitor)
    _verifier, challenge = pkce()
    url = authorize_url(partner, "checkin", challenge, "s").replace("callback", "callback%2Fevil")
    page = citizen.get(url)
    # Never redirected to an unregistered address: an error page here.
    assert page.status_code == 400
    assert "partner.example" not in page.get("Location", "")


def test_signing_in_goes_through_jejaks_own_page(partner):
    _verifier, challenge = pkce()
    page = Client().get(authorize_url(partner, "checkin", challenge, "s"))
    assert page.status_code == 302
    assert page["Location"].startswith("/masuk/?next=")


def test_staff_cannot_give_consent(client_for, partner):
    _verifier, challenge = pkce()
    page = client_for().get(authorize_url(partner, "checkin", challenge, "s"))
    assert page.status_code == 403


def test_consent_page_names_the_partner_and_each_scope(visitor, partner):
    citizen = Client()
    citizen.force_login(visitor)
    _verifier, challenge = pkce()
    page = citizen.get(authorize_url(partner, "checkin history:read", challenge, "s"))
    text = page.content.decode()
    assert "Ojek Kita" in text and "PT Ojek Kita" in text
    assert 'data-scope="checkin"' in text and 'data-scope="history:read"' in text
    assert "Melakukan check-in dan check-out" in text
    # The answer is redirected to the partner: its origin, and no other, may take it.
    policy = page["Content-Security-Policy"]
    form_action = next(p for p in policy.split(";") if "form-action" in p)
    assert form_action.split() == ["form-action", "'self'", "https://partner.example"]
    citizen.cookies["django_language"] = "en"
    page = citizen.get(authorize_url(partner, "checkin", challenge, "s"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200


def test_denying_consent_sends_access_denied_and_records_nothing(visitor, partner):
    citizen = Client()
    citizen.force_login(visitor)
    _verifier, challenge = pkce()
    page = citizen.get(authorize_url(partner, "checkin", challenge, "st"))
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    answer = citizen.post("/oauth/authorize/", data)
    assert answer.status_code == 302
    assert "error=access_denied" in answer["Location"] and "state=st" in answer["Location"]
    assert not Grant.objects.exists()
    assert not Connection.objects.exists()


def test_a_scope_the_partner_was_not_allowed_is_refused(make_partner, visitor):
    app = make_partner("Bioskop", scopes=("checkin",))
    citizen = Client()
    citizen.force_login(visitor)
    _verifier, challenge = pkce()
    page = citizen.get(authorize_url(app, "checkin status:read", challenge, "s"))
    assert page.status_code == 302
    assert "error=invalid_scope" in page["Location"]


def test_a_pending_or_suspended_partner_gets_no_consent_page(make_partner, visitor):
    pending = make_partner("Baru", approved=False)
    citizen = Client()
    citizen.force_login(visitor)
    _verifier, challenge = pkce()
    page = citizen.get(authorize_url(pending, "checkin", challenge, "s"))
    assert page.status_code == 400
    assert "authorizationForm" not in page.content.decode()


def test_a_suspended_partner_cannot_refresh(visitor, partner, connect):
    tokens = connect(visitor, partner)
    do_set_status(partner=partner.partner, status=PartnerStatus.SUSPENDED)
    answer = Client().post(
        "/oauth/token/",
        {"grant_type": "refresh_token", "refresh_token": tokens.refresh},
        **basic(partner),
    )
    assert answer.status_code == 401
    assert RefreshToken.objects.filter(revoked__isnull=True).count() == 1


def test_introspection_of_another_partners_token_is_inactive(make_partner, visitor, connect):
    first = make_partner("Satu")
    second = make_partner("Dua")
    tokens = connect(visitor, first)
    seen = Client().post("/oauth/introspect/", {"token": tokens.access}, **basic(second))
    assert seen.json() == {"active": False}


def test_server_metadata(partner):
    answer = Client().get("/.well-known/oauth-authorization-server")
    assert answer.status_code == 200
    data = answer.json()
    assert data["authorization_endpoint"].endswith("/oauth/authorize/")
    assert data["token_endpoint"].endswith("/oauth/token/")
    assert data["revocation_endpoint"].endswith("/oauth/revoke/")
    assert data["introspection_endpoint"].endswith("/oauth/introspect/")
    assert data["code_challenge_methods_supported"] == ["S256"]
    assert data["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert data["response_types_supported"] == ["code"]
    assert set(data["scopes_supported"]) >= {"checkin", "status:read", "history:read"}


def test_consent_is_audited(visitor, partner, connect):
    connect(visitor, partner)
    assert AuditEvent.objects.filter(action="partners.consent_given", actor=visitor).count() == 1


def test_redirect_answer_carries_the_issuer(visitor, partner):
    citizen = Client()
    citizen.force_login(visitor)
    _verifier, challenge = pkce()
    page = citizen.get(authorize_url(partner, "checkin", challenge, "s"))
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    data["allow"] = "true"
    answer = citizen.post("/oauth/authorize/", data)
    assert answer["Location"].startswith(REDIRECT + "?")
    assert "iss=" in answer["Location"]
