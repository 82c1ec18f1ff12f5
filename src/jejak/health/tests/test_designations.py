from __future__ import annotations

import datetime as dt

import pytest

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.health.models import Designation, DesignationKind, Source
from jejak.health.service import (
    HealthRecordError,
    end_designation,
    record_designation,
    record_designations,
)
from jejak.health.tests.helpers import BUDI, DEWI, RUDI, SITI, index

pytestmark = pytest.mark.django_db

JAKARTA = dt.timezone(dt.timedelta(hours=7))
EXPOSURE = dt.datetime(2021, 10, 19, 18, 0, tzinfo=JAKARTA)


@pytest.fixture
def tracer(make_user):
    return make_user(Role.HEALTH_OFFICER)


def test_record_designation_creates_one_row_and_one_audit_row(tracer):
    designation = record_designation(
        nik_index=index(SITI),
        kind=DesignationKind.CLOSE_CONTACT,
        starts_at=EXPOSURE,
        actor=tracer,
        reason="Satu meja dengan kasus",
    )

    assert designation.source == Source.TRACING
    assert designation.created_by == tracer
    event = AuditEvent.objects.get(action="health.designation.record")
    assert (event.actor, event.object_id) == (tracer, str(designation.pk))
    assert event.detail["kind"] == "close_contact"
    assert SITI not in str(event.detail)


def test_recording_the_same_designation_again_changes_nothing(tracer):
    first = record_designation(
        nik_index=index(SITI), kind="positive_case", starts_at=EXPOSURE, actor=tracer
    )
    again = record_designation(
        nik_index=index(SITI), kind="positive_case", starts_at=EXPOSURE, actor=tracer
    )

    assert again.pk == first.pk
    assert Designation.objects.count() == 1
    assert AuditEvent.objects.filter(action="health.designation.record").count() == 1


def test_naive_times_and_unknown_kinds_are_refused(tracer):
    with pytest.raises(HealthRecordError) as naive:
        record_designation(
            nik_index=index(SITI), kind="positive_case", starts_at=dt.datetime(2021, 10, 19),
            actor=tracer,
        )  # fmt: skip
    assert naive.value.code == "naive_datetime"
    with pytest.raises(HealthRecordError) as kind:
        record_designation(nik_index=index(SITI), kind="suspect", starts_at=EXPOSURE, actor=tracer)
    assert kind.value.code == "unknown_kind"
    assert not Designation.objects.exists()


def test_end_designation_sets_the_end_once_and_audits_it(tracer):
    designation = record_designation(
        nik_index=index(SITI), kind="close_contact", starts_at=EXPOSURE, actor=tracer
    )
    negative_test = EXPOSURE + dt.timedelta(days=5)

    ended = end_designation(
        designation=designation, ended_at=negative_test, actor=tracer, reason="PCR negatif"
    )
    end_designation(designation=designation, ended_at=negative_test, actor=tracer)

    assert ended.ended_at == negative_test
    [event] = AuditEvent.objects.filter(action="health.designation.end")
    assert event.detail["reason"] == "PCR negatif"


def test_a_designation_cannot_end_before_it_starts(tracer):
    designation = record_designation(
        nik_index=index(SITI), kind="close_contact", starts_at=EXPOSURE, actor=tracer
    )
    with pytest.raises(HealthRecordError) as refused:
        end_designation(
            designation=designation, ended_at=EXPOSURE - dt.timedelta(hours=1), actor=tracer
        )
    assert refused.value.code == "ends_before_start"
    designation.refresh_from_db()
    assert designation.ended_at is None


@pytest.mark.parametrize("by_officer", [True, False])
def test_record_designations_writes_what_record_designation_writes(tracer, by_officer):
    # On PostgreSQL in one statement, elsewhere through the ORM: the same rows either way.
    actor = tracer if by_officer else None
    kept = record_designation(
        nik_index=index(SITI), kind=DesignationKind.CLOSE_CONTACT, starts_at=EXPOSURE, actor=None
    )
    later = EXPOSURE + dt.timedelta(hours=2, microseconds=1)
    pairs = [(index(SITI), EXPOSURE), (index(BUDI), EXPOSURE), (index(RUDI), later)]
    ids = record_designations(
        [*pairs, (index(BUDI), EXPOSURE)],
        kind=DesignationKind.CLOSE_CONTACT,
        actor=actor,
        reason="Kontak erat kasus #7",
        days=10,
    )

    assert set(ids) == set(pairs) and ids[(index(SITI), EXPOSURE)] == kept.pk
    for (nik_index, starts_at), pk in ids.items():
        row = Designation.objects.get(pk=pk)
        assert (row.nik_index, row.starts_at, row.kind) == (nik_index, starts_at, "close_contact")
        if pk != kept.pk:
            assert (row.reason, row.days, row.source) == ("Kontak erat kasus #7", 10, "tracing")
            assert row.created_by == actor
    events = AuditEvent.objects.filter(action="health.designation.record").exclude(
        object_id=str(kept.pk)
    )
    assert sorted((e.object_type, e.object_id) for e in events) == sorted(
        ("health.designation", str(ids[pair])) for pair in pairs[1:]
    )
    for event in events:
        designation = Designation.objects.get(pk=int(event.object_id))
        assert event.actor == actor
        assert (event.purpose, event.actor_role, event.actor_org, event.ip) == ("", "", "", None)
        assert event.detail == {
            "kind": "close_contact",
            "starts_at": designation.starts_at.astimezone(JAKARTA).isoformat(),
            "source": "tracing",
            "reason": "Kontak erat kasus #7",
        }

    again = record_designations(
        [*pairs, (index(DEWI), later)], kind=DesignationKind.CLOSE_CONTACT, actor=actor
    )
    assert {k: again[k] for k in pairs} == ids
    assert AuditEvent.objects.filter(action="health.designation.record").count() == 4
