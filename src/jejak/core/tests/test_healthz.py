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
