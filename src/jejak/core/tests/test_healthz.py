from unittest import mock

from django.db.utils import OperationalError


def test_healthz_answers_ok(client, db, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok\n"


def test_healthz_reports_a_database_outage(client, db):
    with mock.patch("jejak.core.views.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503


def test_healthz_names_a_redis_outage_but_stays_200(client, db, settings):
    from jejak.settings import redis_cache

    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    settings.CACHES = {"default": redis_cache(settings.REDIS_URL)}
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\nredis unavailable (cache misses only)\n"


def test_a_page_answers_a_friendly_503_when_the_database_is_down(client_for, city, monkeypatch):
    from jejak.venues import views

    def down(*args, **kwargs):
        raise OperationalError("the database system is shutting down")

    client = client_for("city_admin", region=city)
    monkeypatch.setattr(views, "access_venue", down)
    response = client.get("/venues/ANY/")
    assert response.status_code == 503 and response["Retry-After"] == "2"
    assert "Layanan sebentar tidak tersedia" in response.content.decode()
