"""record_many: a batch decides each request as it would be decided alone, in order."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from jejak.checkins import plans, record
from jejak.checkins.errors import CheckInError, Refusal
from jejak.checkins.models import CheckIn, CheckInRequest, VenueOccupancy
from jejak.checkins.tests.conftest import code_of
from jejak.qrcodes.errors import QrError
from jejak.qrcodes.errors import Reason as QrReason

pytestmark = pytest.mark.django_db


def ask(account: Any, venue: Any, **changes: Any) -> plans.Ask:
    fields: dict[str, Any] = {
        "account": account,
        "qr": code_of(venue),
        "nonce": uuid.uuid4(),
        "people": ["self"],
        "visitor_type": "guest",
    }
    return plans.Ask(**(fields | changes))


def decisions(outcomes: list[plans.Outcome]) -> list[Any]:
    return [
        o.data["people"][0]["decision"] if isinstance(o, plans.CheckInResult) else o.code
        for o in outcomes
    ]


def test_a_batch_gives_the_last_places_in_request_order(make_visitor, hotel, policy):
    policy(capacity_max_people=2)
    visitors = [make_visitor("hijau") for _ in range(3)]
    outcomes = record.record_many(asks=[ask(v, hotel) for v in visitors])
    assert decisions(outcomes) == ["allowed", "allowed", "denied"]
    assert outcomes[2].data["people"][0]["reasons"] == ["capacity_full"]  # type: ignore[union-attr]
    # Each answer shows the crowd after its own request.
    assert [o.data["crowd"]["inside"] for o in outcomes] == [1, 2, 2]  # type: ignore[union-attr]
    assert VenueOccupancy.objects.get(venue=hotel).inside == 2
    assert CheckIn.objects.count() == 3


def test_a_refused_request_leaves_the_others_alone(make_visitor, hotel, make_venue, policy):
    closed = make_venue(name="Ditutup")
    codes = code_of(closed)
    from jejak.qrcodes.service import revoke_codes

    revoke_codes(venue=closed)
    a, b, c = (make_visitor("hijau") for _ in range(3))
    outcomes = record.record_many(
        asks=[ask(a, hotel), ask(b, hotel, qr=codes), ask(c, hotel, people=["nobody"])]
    )
    assert isinstance(outcomes[0], plans.CheckInResult)
    assert isinstance(outcomes[1], QrError) and outcomes[1].code == QrReason.REVOKED
    assert isinstance(outcomes[2], CheckInError) and outcomes[2].code == Refusal.PERSON_UNKNOWN
    assert CheckIn.objects.count() == 1
    assert CheckInRequest.objects.count() == 1


def test_two_requests_of_one_account_are_decided_one_after_the_other(visitor, hotel, policy):
    first, second = ask(visitor, hotel), ask(visitor, hotel)
    outcomes = record.record_many(asks=[first, second])
    # The second scan of the same venue is a rescan: it checks the first one out.
    assert [o.data["people"][0]["action"] for o in outcomes] == ["check_in", "check_out"]  # type: ignore[union-attr]
    assert outcomes[1].data["people"][0]["checkin"] == outcomes[0].data["people"][0]["checkin"]  # type: ignore[union-attr]
    assert VenueOccupancy.objects.get(venue=hotel).inside == 0


def test_a_retried_nonce_in_a_batch_answers_its_stored_result(make_visitor, hotel, policy):
    a, b = make_visitor("hijau"), make_visitor("kuning")
    earlier = ask(a, hotel)
    (first,) = record.record_many(asks=[earlier])
    # The retry fails the whole batch's insert; each request is then redone alone.
    retry, fresh = record.record_many(asks=[earlier, ask(b, hotel)])
    assert isinstance(retry, plans.CheckInResult) and retry.replayed
    assert retry.data == first.data  # type: ignore[union-attr]
    assert isinstance(fresh, plans.CheckInResult) and not fresh.replayed
    assert CheckInRequest.objects.count() == 2
    assert CheckIn.objects.count() == 2


def test_a_batch_matches_the_same_requests_made_one_by_one(make_visitor, hotel, policy):
    colours = ["hijau", "kuning", "merah", "hitam", "hijau"]
    batch = [make_visitor(c) for c in colours]
    alone = [make_visitor(c) for c in colours]
    together = record.record_many(asks=[ask(v, hotel) for v in batch])
    apart = [record.record_many(asks=[ask(v, hotel)])[0] for v in alone]

    def shape(o: Any) -> list[tuple[str, tuple[str, ...], str]]:
        return [(p["decision"], tuple(p["reasons"]), p["colour"]) for p in o.data["people"]]

    assert [shape(o) for o in together] == [shape(o) for o in apart]


def test_a_batch_costs_the_same_statements_whatever_its_size(make_visitor, hotel, policy):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    visitors = [make_visitor("hijau") for _ in range(14)]
    record.record_many(asks=[ask(visitors[0], hotel)])  # the occupancy row, the caches
    counts = []
    for group in (visitors[1:3], visitors[3:]):
        asks = [ask(v, hotel) for v in group]
        with CaptureQueriesContext(connection) as queries:
            outcomes = record.record_many(asks=asks)
        assert decisions(outcomes) == ["allowed"] * len(group)
        counts.append(len(queries))
    # codes, savepoint, people (on PostgreSQL their lock first: people_lock.py), records,
    # occupancy lock and update, request and check-in inserts, release.
    assert counts[0] == counts[1] <= (10 if connection.vendor == "postgresql" else 9)
