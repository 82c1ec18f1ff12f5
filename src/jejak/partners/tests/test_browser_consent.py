"""The consent page in a real browser, in both languages: the partner and each scope named,
no script error, axe-core clean (the `page` fixture), and approving sends the browser to
the partner's redirect URI with a code and the state."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from jejak.partners.models import Connection
from jejak.partners.tests.conftest import REDIRECT, authorize_url, pkce

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_consent_page_names_the_partner_and_approving_returns_a_code(
    page: Any, live_server: Any, visitor: Any, partner: Any
) -> None:
    client = Client()
    client.force_login(visitor)
    session = client.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    arrived: list[str] = []

    def at_partner(route: Any) -> None:
        # The partner's own site is never reached: the browser stops at its address.
        arrived.append(route.request.url)
        route.fulfill(
            status=200,
            content_type="text/html",
            body='<!doctype html><html lang="en"><head><title>Partner</title></head>'
            "<body><main><h1>Partner</h1></main></body></html>",
        )

    page.route("https://partner.example/**", at_partner)
    _verifier, challenge = pkce()
    url = live_server.url + authorize_url(partner, "checkin history:read", challenge, "st8")
    page.goto(url)
    assert page.locator("h1").inner_text().startswith("Izinkan Ojek Kita")
    assert page.locator("[data-scope=checkin]").is_visible()
    assert page.locator("[data-scope='history:read']").is_visible()

    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(url)
    assert page.locator("#authorizationForm").is_visible()

    page.click("button[name=allow]")
    page.wait_for_url("https://partner.example/**")
    [location] = arrived
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(REDIRECT) and query["state"] == ["st8"] and query["code"]
    assert Connection.objects.filter(account=visitor).exists()
    assert page.errors == []
