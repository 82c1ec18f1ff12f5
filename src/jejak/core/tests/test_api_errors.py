"""Every /api/v1/ error is `{code, message}` JSON, a bug included."""

import pytest

from jejak.accounts.roles import Role

pytestmark = pytest.mark.django_db


def test_an_unexpected_error_answers_json_500_with_a_request_id(
    client_for, city, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("secret detail of the failure")

    monkeypatch.setattr("jejak.venues.api.access_venue", broken)
    client = client_for(Role.CITY_ADMIN, region=city)

    response = client.get("/api/v1/venues/ANY", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "internal_error"
    assert body["request_id"] == response["X-Request-ID"]
    assert body["message"].startswith("Something went wrong on the server")
    assert body["request_id"] in body["message"]
    assert "secret detail" not in response.content.decode()
    logged = [r for r in caplog.records if body["request_id"] in r.getMessage()]
    assert logged and logged[0].exc_info is not None and logged[0].levelname == "ERROR"


def test_the_answer_is_in_indonesian_by_default(client_for, city, monkeypatch):
    monkeypatch.setattr("jejak.venues.api.access_venue", lambda *a, **k: 1 / 0)
    response = client_for(Role.CITY_ADMIN, region=city).get("/api/v1/venues/ANY")
    assert response.status_code == 500
    assert response.json()["message"].startswith("Terjadi kesalahan di server")
