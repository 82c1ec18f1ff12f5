"""Fixtures of the partner tests: the check-in tests' hotel and visitors, an approved
partner, and the OAuth code flow with PKCE run through Django's test client."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

from jejak.checkins.tests.conftest import (  # noqa: F401 (fixtures)
    _fresh_caches,
    check_in,
    hotel,
    make_venue,
    make_visitor,
    policy,
    visitor,
)
from jejak.partners import rates, usage
from jejak.partners.models import Partner, PartnerStatus
from jejak.partners.service import Registered, do_register, do_set_status
from jejak.partners.tests.sample_app import city_hall, sample  # noqa: F401 (fixtures)

REDIRECT = "https://partner.example/callback"


@pytest.fixture(autouse=True)
def _fresh_partner_counters(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    rates.reset()
    usage.reset()
    # Counts are written when a test asks (usage.flush): inside the test's transaction a
    # flush due on its own would wait for a commit that never comes.
    monkeypatch.setattr(usage, "FLUSH_SECONDS", 3600.0)
    usage.flush()
    yield
    rates.reset()
    usage.reset()


@pytest.fixture
def make_partner(db: None) -> Callable[..., Registered]:
    def make(
        name: str = "Ojek Kita",
        *,
        scopes: tuple[str, ...] = ("checkin", "status:read", "history:read"),
        confidential: bool = True,
        approved: bool = True,
        rate_limit: int = 6000,
    ) -> Registered:
        registered = do_register(
            name=name,
            organisation=f"PT {name}",
            contact="engineering@partner.example",
            redirect_uris=[REDIRECT],
            allowed_scopes=list(scopes),
            confidential=confidential,
            rate_limit=rate_limit,
        )
        if approved:
            do_set_status(partner=registered.partner, status=PartnerStatus.APPROVED)
        return registered

    return make


@pytest.fixture
def partner(make_partner: Callable[..., Registered]) -> Registered:
    return make_partner()


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    )
    return verifier, challenge


def basic(registered: Registered) -> dict[str, str]:
    raw = f"{registered.client_id}:{registered.client_secret}".encode()
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(raw).decode()}


@dataclass
class Tokens:
    access: str
    refresh: str
    scope: str

    def headers(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.access}"}


def authorize_url(registered: Registered, scope: str, challenge: str, state: str) -> str:
    query = {
        "response_type": "code",
        "client_id": registered.client_id,
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return "/oauth/authorize/?" + urlencode(query)


def consent(citizen: Client, registered: Registered, scope: str) -> tuple[str, str]:
    """The citizen approves on the consent page: (code, verifier)."""
    verifier, challenge = pkce()
    state = secrets.token_urlsafe(8)
    page = citizen.get(authorize_url(registered, scope, challenge, state))
    assert page.status_code == 200, page.content
    form = page.context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data["allow"] = "true"
    answer = citizen.post("/oauth/authorize/", data)
    assert answer.status_code == 302, answer.content
    location = urlsplit(answer["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == [state]
    return query["code"][0], verifier


def exchange(registered: Registered, code: str, verifier: str) -> Any:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
        "client_id": registered.client_id,
    }
    extra = basic(registered) if registered.client_secret else {}
    return Client().post("/oauth/token/", data, **extra)


@pytest.fixture
def connect() -> Callable[..., Tokens]:
    """connect(account, registered, scope): the whole code flow; the partner's tokens."""

    def run(account: Any, registered: Registered, scope: str = "checkin status:read") -> Tokens:
        citizen = Client()
        citizen.force_login(account)
        code, verifier = consent(citizen, registered, scope)
        answer = exchange(registered, code, verifier)
        assert answer.status_code == 200, answer.content
        body = answer.json()
        return Tokens(body["access_token"], body["refresh_token"], body["scope"])

    return run


def partner_of(registered: Registered) -> Partner:
    return Partner.objects.get(pk=registered.partner.pk)
