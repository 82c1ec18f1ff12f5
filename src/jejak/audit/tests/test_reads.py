"""Audited reads: one event with its purpose and the reader's role and organisation as
they were, one subject row per person shown."""

import pytest

from jejak.accounts.roles import Role
from jejak.accounts.tests.factories import UserFactory
from jejak.audit import service
from jejak.audit.models import AuditEvent, AuditSubject, Purpose

pytestmark = pytest.mark.django_db


def test_a_read_names_each_subject_once_and_keeps_the_readers_role():
    officer = UserFactory(role=Role.HEALTH_OFFICER)
    row = service.record_read(
        actor=officer,
        action="health.results.list",
        purpose=Purpose.HEALTH_RECORDS,
        subjects=["a" * 64, "b" * 64, "a" * 64, ""],
    )
    assert row.purpose == "health_records"
    assert row.actor_role == Role.HEALTH_OFFICER
    assert sorted(AuditSubject.objects.values_list("nik_index", flat=True)) == ["a" * 64, "b" * 64]
    assert {s.at for s in AuditSubject.objects.all()} == {row.at}


def test_a_read_that_showed_nobody_still_leaves_its_event():
    service.record_read(actor=None, action="x.read", purpose=Purpose.TRACING, subjects=[])
    assert AuditEvent.objects.count() == 1
    assert not AuditSubject.objects.exists()


def test_reads_of_lists_a_persons_reads_newest_first():
    officer = UserFactory(role=Role.HEALTH_OFFICER)
    first = service.record_read(
        actor=officer, action="a", purpose=Purpose.TRACING, subjects=["a" * 64]
    )
    second = service.record_read(
        actor=officer, action="b", purpose=Purpose.STATUS_CHECK, subjects=["a" * 64, "c" * 64]
    )
    rows = list(service.reads_of(["a" * 64]))
    assert [r.event_id for r in rows] == [second.pk, first.pk]
    assert list(service.reads_of(["z" * 64])) == []
