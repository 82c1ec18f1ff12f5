"""The sample partner app's own checks over HTTP, no browser: it asks for PKCE S256 and
the one scope it needs, an answer with another state signs nobody in (and spends the
sign-in it started), and a citizen who says no is told so kindly."""

from __future__ import annotations

import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from jejak.partners.tests.sample_app import Sample

pytestmark = pytest.mark.django_db(transaction=True)


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the test reads each redirect itself


class Visitor:
    """A browser's cookie jar without a browser."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), _Stay()
        )

    def get(self, path: str) -> tuple[int, str, str]:
        """(status, Location, body) of a GET, redirects not followed."""
        try:
            with self.opener.open(self.base + path, timeout=15) as answer:
                return answer.status, "", answer.read().decode()
        except urllib.error.HTTPError as redirect:
            return redirect.code, redirect.headers.get("Location", ""), ""


def start_sign_in(visitor: Visitor, live_server: Any) -> dict[str, list[str]]:
    status, location, _body = visitor.get("/masuk")
    assert status == 303 and location.startswith(f"{live_server.url}/oauth/authorize/?")
    return parse_qs(urlsplit(location).query)


def test_sign_in_asks_for_pkce_s256_and_only_checkin(sample: Sample, live_server: Any) -> None:
    query = start_sign_in(Visitor(sample.url), live_server)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["scope"] == ["checkin"]
    assert query["redirect_uri"] == [sample.url + "/callback"]
    assert len(query["state"][0]) >= 32


def test_an_answer_with_another_state_signs_nobody_in(sample: Sample, live_server: Any) -> None:
    visitor = Visitor(sample.url)
    state = start_sign_in(visitor, live_server)["state"][0]
    forged = urlencode({"code": "from-someone-else", "state": "not-" + state})
    assert visitor.get(f"/callback?{forged}")[:2] == (303, "/")
    home = visitor.get("/")[2]
    assert "Jawaban masuk tidak cocok" in home and 'id="sign-in"' in home
    # The sign-in it started is spent: its own state no longer signs in either.
    visitor.get("/callback?" + urlencode({"code": "from-someone-else", "state": state}))
    home = visitor.get("/")[2]
    assert 'id="sign-in"' in home and "Halo" not in home


def test_a_citizen_who_says_no_is_told_so(sample: Sample, live_server: Any) -> None:
    visitor = Visitor(sample.url)
    state = start_sign_in(visitor, live_server)["state"][0]
    visitor.get("/callback?" + urlencode({"error": "access_denied", "state": state}))
    home = visitor.get("/")[2]
    assert "Anda tidak mengizinkan Mitra Contoh" in home and 'id="sign-in"' in home
