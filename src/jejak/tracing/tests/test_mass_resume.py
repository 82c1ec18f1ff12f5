"""A mass run whose worker dies (issue 20, "nobody left unwarned because the day was
busy"): the periodic runner resumes it from its last checkpoint, takes up the case the
dead worker left half done, counts nothing twice and tells nobody twice."""

from __future__ import annotations

import datetime as dt

import pytest

from jejak.notifications.models import Message
from jejak.tracing import mass, tasks
from jejak.tracing.models import Case, CaseStatus, Contact, RunStatus, TracingRun
from jejak.tracing.tests.conftest import NOW
from jejak.tracing.tests.test_mass import inapp, outbreak  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

LATER = NOW + dt.timedelta(minutes=11)


class Killed(BaseException):
    """The worker process dying: nothing of the run's own error handling sees it."""


@pytest.fixture
def clock(monkeypatch):
    now = {"value": NOW}
    monkeypatch.setattr("django.utils.timezone.now", lambda: now["value"])
    return now


def queued(outbreak):  # noqa: F811
    return mass.queue_run(
        nik_indexes=[outbreak["first"].nik_index, outbreak["second"].nik_index], shards=1
    )


def test_a_run_killed_in_a_case_is_resumed_from_its_checkpoint(outbreak, clock, monkeypatch):  # noqa: F811
    monkeypatch.setattr(mass, "PROGRESS_EVERY", 1)
    run = queued(outbreak)
    people = [outbreak["first"].nik_index, outbreak["second"].nik_index]
    # The shard traces by NIK index: the second it reaches is the one to die in.
    second_person = sorted(people)[1]
    real = mass._Tracer.apply_policy

    def die_on_the_second(self, case):
        if case.person.nik_index == second_person:
            raise Killed
        return real(self, case)

    monkeypatch.setattr(mass._Tracer, "apply_policy", die_on_the_second)
    with pytest.raises(Killed):
        mass.run_shard(run.pk, 0)

    stalled = TracingRun.objects.get(pk=run.pk)
    # The first case is counted and its position written; the second was opened and
    # searched (both committed) but neither counted nor linked.
    assert stalled.status == RunStatus.RUNNING
    assert (stalled.processed, stalled.opened, stalled.searched) == (1, 1, 1)
    assert stalled.positions == {"0": 1}
    assert Case.objects.count() == 2
    half_done = Case.objects.get(person__nik_index=second_person)
    assert half_done.searched_at is not None and half_done.status == CaseStatus.CONTACTS_IDENTIFIED
    assert mass.stalled_runs() == []  # silent for less than the bound: left alone

    monkeypatch.setattr(mass._Tracer, "apply_policy", real)
    clock["value"] = LATER
    assert mass.stalled_runs() == [run.pk]
    # The periodic step queues the shard again (tests run tasks at once).
    assert tasks.resume_stalled() == {"resumed": 1}

    done = TracingRun.objects.get(pk=run.pk)
    assert done.status == RunStatus.FINISHED and done.resumes == 1
    # Counted as if nothing had happened (test_mass's run of the same outbreak).
    assert (done.total, done.processed, done.opened, done.searched, done.failed) == (
        2, 2, 2, 2, 0,
    )  # fmt: skip
    assert (done.designated_contacts, done.notified_people, done.informed_people) == (3, 2, 1)
    assert Case.objects.count() == 2
    assert set(Case.objects.values_list("status", flat=True)) == {CaseStatus.NOTIFIED}
    assert done.run_cases.count() == 2
    [message] = inapp(outbreak["rina"])
    assert message.template == "exposure_close_contact_multi"
    assert len(inapp(outbreak["joko"])) == len(inapp(outbreak["brief"])) == 1


def test_a_run_killed_while_telling_tells_the_rest_once(outbreak, clock, monkeypatch):  # noqa: F811
    monkeypatch.setattr(mass, "NOTICE_CHUNK", 1)
    run = queued(outbreak)
    real = mass._Tracer.notify_close
    calls = []

    def die_on_the_second_chunk(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise Killed
        return real(self, *args, **kwargs)

    monkeypatch.setattr(mass._Tracer, "notify_close", die_on_the_second_chunk)
    with pytest.raises(Killed):
        mass.run_shard(run.pk, 0)
    told = Contact.objects.filter(notified_at__isnull=False).values("person").distinct().count()
    assert told == 1

    monkeypatch.setattr(mass._Tracer, "notify_close", real)
    clock["value"] = LATER
    assert tasks.resume_stalled() == {"resumed": 1}

    done = TracingRun.objects.get(pk=run.pk)
    assert done.status == RunStatus.FINISHED
    assert sorted(done.parts_done) == ["notify:0", "trace:0"]
    assert done.notified_people == 2 and done.processed == 2
    for who in ("rina", "joko", "brief"):
        assert len(inapp(outbreak[who])) == 1, who
    assert not Contact.objects.filter(designated_at__isnull=False, notified_at__isnull=True)


def test_a_run_that_keeps_stalling_fails_for_the_officers(outbreak, clock):  # noqa: F811
    run = queued(outbreak)
    TracingRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, started_at=NOW, touched_at=NOW, resumes=mass.MAX_RESUMES
    )
    clock["value"] = LATER
    assert tasks.resume_stalled() == {"resumed": 0}
    failed = TracingRun.objects.get(pk=run.pk)
    assert failed.status == RunStatus.FAILED and failed.finished_at == LATER
    assert failed.errors == [{"case": None, "step": "run", "code": "stalled"}]
    assert not Case.objects.exists() and not Message.objects.exists()


def test_the_periodic_runner_has_the_step():
    from jejak.checkins import periodic

    assert "tracing-runs" in {step.name for step in periodic.steps()}
