from __future__ import annotations

import datetime as dt

import pytest

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.health.models import Designation, DesignationKind, Source
from jejak.health.service import HealthRecordError, end_designation, record_designation
from jejak.health.tests.helpers import SITI, index

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
