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


def test_reads_written_together_keep_each_events_own_subjects():
    officer = UserFactory(role=Role.HEALTH_OFFICER)
    reads = [
        (
            service.read_event(
                actor=None,
                action="partners.checkin",
                purpose=Purpose.PARTNER_APP,
                reader=("partner", "Ojek Kita"),
                nonce="n1",
            ),
            ["a" * 64, "b" * 64, "a" * 64],
        ),
        (
            service.read_event(
                actor=officer, action="x.read", purpose=Purpose.TRACING, ip="10.0.0.1"
            ),
            [""],
        ),
        (
            service.read_event(actor=None, action="partners.checkin", purpose=Purpose.PARTNER_APP),
            ["c" * 64],
        ),
    ]
    service.record_reads(reads)
    events = list(AuditEvent.objects.order_by("id"))
    assert [(e.action, e.detail, e.actor_id, e.ip) for e in events] == [
        ("partners.checkin", {"nonce": "n1"}, None, None),
        ("x.read", {}, officer.pk, "10.0.0.1"),
        ("partners.checkin", {}, None, None),
    ]
    assert (events[0].actor_role, events[0].actor_org) == ("partner", "Ojek Kita")
    assert events[1].actor_role == Role.HEALTH_OFFICER
    subjects = {(s.event_id, s.nik_index, s.at) for s in AuditSubject.objects.all()}
    assert subjects == {
        (events[0].pk, "a" * 64, events[0].at),
        (events[0].pk, "b" * 64, events[0].at),
        (events[2].pk, "c" * 64, events[2].at),
    }
    # The ids came from the table's own sequence: rows written one by one follow them.
    later = service.record(actor=None, action="after")
    assert later.pk > events[-1].pk
