"""Check-in decisions on /metrics, counted where they are made (record.record_many): by
outcome and reason code, a retry not counted twice (docs/operations.md, "Metrics")."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client

from jejak.checkins.tests.conftest import code_of
from jejak.core.tests.metrics_tools import TOKEN, scrape

pytestmark = pytest.mark.django_db

DECISIONS = "jejak_checkin_decisions_total"


@pytest.fixture(autouse=True)
def _metrics_on(settings):
    settings.JEJAK_METRICS_TOKEN = TOKEN


def check_in(client, body):
    return client.post("/api/v1/checkins", json.dumps(body), content_type="application/json")


def test_decisions_through_the_api_are_counted_with_their_reason_codes(make_visitor, hotel, policy):
    green, red = Client(), Client()
    green.force_login(make_visitor("hijau"))
    red.force_login(make_visitor("merah"))
    before = scrape()

    retried = {"qr": code_of(hotel), "nonce": str(uuid.uuid4()), "people": ["self"]}
    assert check_in(green, retried).status_code == 201
    assert check_in(green, retried).status_code == 201  # a retry: answered, not decided
    denied = check_in(red, {"qr": code_of(hotel), "nonce": str(uuid.uuid4()), "people": ["self"]})
    assert denied.json()["people"][0]["reasons"] == ["status_red"]
    refused = check_in(red, {"qr": "not a code", "nonce": str(uuid.uuid4()), "people": ["self"]})
    assert refused.json()["code"] == "qr_malformed"
    after = scrape()

    def counted(**labels):
        return after.value(DECISIONS, **labels) - before.value(DECISIONS, **labels)

    assert counted(outcome="allowed", reason="none") == 1
    assert counted(outcome="denied", reason="status_red") == 1
    assert counted(outcome="refused", reason="qr_malformed") == 1
    assert counted() == 3
    assert {DECISIONS, "jejak_http_request_duration_seconds_count"} <= after.names()
    timed = after.value(
        "jejak_http_request_duration_seconds_count",
        route="api:check_in",
        method="POST",
        status_class="2xx",
    ) - before.value(
        "jejak_http_request_duration_seconds_count",
        route="api:check_in",
        method="POST",
        status_class="2xx",
    )
    assert timed == 3
