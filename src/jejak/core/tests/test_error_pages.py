"""Error pages speak the site's layout and language; a refusal is one log line."""

import logging

import pytest
from django.test import Client

from jejak.accounts.roles import Role

pytestmark = pytest.mark.django_db


def test_a_missing_page_keeps_the_layout_and_navigation(client_for, city):
    response = client_for(Role.CITY_ADMIN, region=city).get("/venues/NO-SUCH-VENUE/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Halaman tidak ditemukan" in page
    assert 'class="brand"' in page and "<nav" in page  # the site's header and menu


def test_a_refusal_is_a_page_and_one_log_line_without_a_traceback(client_for, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client_for(Role.VISITOR).get("/venues/")
    assert response.status_code == 403
    assert "Tidak berwenang" in response.content.decode()
    refused = [r for r in caplog.records if r.name == "django.request"]
    assert refused and all(r.exc_info is None for r in refused)


def test_a_server_error_page_is_standalone(client_for, city, monkeypatch):
    from jejak.venues import views

    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(views, "access_venue", broken)
    client = client_for(Role.CITY_ADMIN, region=city)
    client.raise_request_exception = False
    response = client.get("/venues/ANY/")
    assert response.status_code == 500
    assert "Terjadi kesalahan" in response.content.decode()


def test_english_when_chosen(client_for, city):
    client = client_for(Role.CITY_ADMIN, region=city)
    client.cookies["django_language"] = "en"
    assert "Page not found" in client.get("/venues/NO-SUCH-VENUE/").content.decode()


def test_anonymous_visitors_get_the_layout_too():
    response = Client().get("/no/such/page/")
    assert response.status_code == 404
    assert "Halaman tidak ditemukan" in response.content.decode()
