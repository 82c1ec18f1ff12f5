"""Mass tracing runs (issue 20, "Mass events"): cases opened, searched and designated by
the profile's policy without an officer, one message per person across the run's
cases, the short update for someone told within 24 hours, the import's hook and
command, and the officers' progress page and API."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jejak.accounts.roles import Role
from jejak.health.models import Designation, LabResult
from jejak.health.service import import_health_file
from jejak.notifications import rendering
from jejak.notifications.models import Message
from jejak.screening.tests.factories import make_nik, make_person
from jejak.tracing import cases, mass, search, tasks
from jejak.tracing.designation import designate_contacts
from jejak.tracing.models import (
    Case,
    CaseStatus,
    ClusterAlert,
    Contact,
    RunStatus,
    TracingRun,
    TracingRunCase,
)
from jejak.tracing.tests.conftest import JKT, NOW, T0, at, stay
from jejak.tracing.tests.test_designation import give_phone

pytestmark = pytest.mark.django_db


def positive(someone: Any, specimen_at: dt.datetime = T0) -> LabResult:
    return LabResult.objects.create(
        nik_index=someone.nik_index, source="manual", method="pcr", result="positive",
        specimen_at=specimen_at,
    )  # fmt: skip


def inapp(someone: Any) -> list[Message]:
    """Someone's in-app messages as they read them (a run's are rendered when first read)."""
    return rendering.fill(Message.objects.filter(to_person=someone, channel="inapp").order_by("pk"))


@pytest.fixture
def outbreak(person, hotel, make_venue):
    """Two positives at two venues; Rina close to both (an hour with each), Joko close to
    the first only, Sekilas five minutes in the first's tail (below the threshold)."""
    restaurant = make_venue("rumah-makan", name="Rumah Makan Sederhana")
    first, second = person("Kasus Satu"), person("Kasus Dua")
    rina, joko, brief = person("Rina Kontak"), person("Joko Kontak"), person("Sekilas")
    stay(first, hotel, at(0), at(1))
    stay(rina, hotel, at(0), at(1))
    stay(joko, hotel, at(0), at(1))
    stay(brief, hotel, at(hours=1, minutes=25), at(2))
    stay(second, restaurant, at(4), at(5))
    stay(rina, restaurant, at(4), at(5))
    for someone in (first, second):
        positive(someone)
    return {"first": first, "second": second, "rina": rina, "joko": joko, "brief": brief}


def run_for(*people: Any, **kwargs: Any) -> TracingRun:
    return mass.trace_results(nik_indexes=[p.nik_index for p in people], now=NOW, **kwargs)


def test_a_run_opens_searches_designates_and_tells_each_person_once(outbreak):
    run = run_for(outbreak["first"], outbreak["second"])

    first_case = Case.objects.get(person=outbreak["first"])
    second_case = Case.objects.get(person=outbreak["second"])
    assert first_case.status == second_case.status == CaseStatus.NOTIFIED
    assert (run.status, run.total, run.processed, run.opened, run.searched) == (
        RunStatus.FINISHED, 2, 2, 2, 2,
    )  # fmt: skip
    # Rina in both cases, Joko in the first.
    assert run.designated_contacts == 3
    assert (run.notified_people, run.informed_people, run.failed) == (2, 1, 0)
    assert (run.queued_for_officers, run.cases_for_officers) == (0, 0)
    # Every case's row records it, and one designation per case (their exposures differ).
    rina_rows = Contact.objects.filter(person=outbreak["rina"])
    assert rina_rows.count() == 2
    assert all(c.designated_at == c.notified_at == NOW for c in rina_rows)
    assert Designation.objects.filter(nik_index=outbreak["rina"].nik_index).count() == 2
    # One message to Rina saying two cases and both places.
    [message] = inapp(outbreak["rina"])
    assert message.template == "exposure_close_contact_multi"
    assert "2 orang" in message.body
    assert "Hotel Cisadane" in message.body and "Rumah Makan Sederhana" in message.body
    [joko] = inapp(outbreak["joko"])
    assert joko.template == "exposure_close_contact"
    [brief] = inapp(outbreak["brief"])
    assert brief.template == "exposure_informational"
    # Saved as it went: the row says what the object says.
    run.refresh_from_db()
    assert (run.processed, run.designated_contacts, run.notified_people) == (2, 3, 2)
    assert run.finished_at == NOW and run.pending == []
    assert TracingRunCase.objects.filter(run=run).count() == 2


def test_a_run_in_shards_does_what_one_process_does_and_tells_once(outbreak, monkeypatch):
    # Two workers' shards, one after the other here: the counters add up, the messages
    # wait for the last shard, and Rina (close to both cases, one in each shard) gets one.
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    run = mass.queue_run(nik_indexes=[outbreak["first"].nik_index, outbreak["second"].nik_index])
    run.shards = 2
    run.save(update_fields=["shards"])

    first, due = mass.run_shard(run.pk, 0)
    assert first is not None and first.status == RunStatus.RUNNING and not due
    assert first.parts_done == ["trace:0"]
    assert mass.notify_part(run.pk, 0).parts_done == ["trace:0"]  # type: ignore[union-attr]
    assert not Message.objects.exists()  # told only when every shard is done
    again, due = mass.run_shard(run.pk, 0)  # delivered again: nothing
    assert again is not None and again.processed == 1 and not due
    assert mass.run_shard(run.pk, 2)[0] is not None  # no such shard: nothing happens
    # The last shard's task queues the messages in two parts (tests run tasks at once).
    tasks.trace_shard.call(run_id=run.pk, shard=1)

    done = TracingRun.objects.get(pk=run.pk)
    assert done.status == RunStatus.FINISHED
    assert (done.total, done.processed, done.opened, done.searched) == (2, 2, 2, 2)
    assert (done.designated_contacts, done.notified_people, done.informed_people) == (3, 2, 1)
    assert done.pending == []
    assert sorted(done.parts_done) == ["notify:0", "notify:1", "trace:0", "trace:1"]
    [message] = inapp(outbreak["rina"])
    assert message.template == "exposure_close_contact_multi"
    # A shard delivered again after the end does nothing.
    assert mass.run_shard(run.pk, 0)[0].processed == 2  # type: ignore[union-attr]


def test_the_messages_need_no_default_profile_when_each_case_names_its_own(
    outbreak, tracing_profile, settings, monkeypatch
):
    # The cases are traced under a profile of their own; by the time the messages go out
    # the deployment's default names a profile that is not loaded. Nobody goes untold.
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    tracing_profile()
    run = mass.queue_run(nik_indexes=[outbreak["first"].nik_index, outbreak["second"].nik_index])
    run.shards = 2
    run.save(update_fields=["shards"])
    assert mass.run_shard(run.pk, 0)[1] is False
    assert mass.run_shard(run.pk, 1)[1] is True  # traced: the messages are due
    settings.JEJAK_TRACE_PROFILE = "belum-dimuat"

    mass.notify_part(run.pk, 0)
    done = mass.notify_part(run.pk, 1)

    assert done is not None and done.status == RunStatus.FINISHED and done.errors == []
    [message] = inapp(outbreak["rina"])
    assert message.template == "exposure_close_contact_multi"


def test_the_policy_min_score_is_honoured(outbreak, person, hotel, tracing_profile):
    tracing_profile(automation={"designate": "close", "min_score": "40.0"})
    short = person("Dua Puluh Menit")
    stay(short, hotel, at(minutes=40), at(1))  # 20 minutes with the case, 20 of the tail

    run = run_for(outbreak["first"])

    case = Case.objects.get(person=outbreak["first"])
    left = Contact.objects.get(case=case, person=short)
    assert left.is_close and left.score < 40 and left.designated_at is None
    assert Contact.objects.get(case=case, person=outbreak["joko"]).designated_at == NOW
    # Left to the officers: the case waits in their queue.
    assert case.status == CaseStatus.CONTACTS_IDENTIFIED
    assert (run.queued_for_officers, run.cases_for_officers) == (1, 1)
    assert inapp(short) == []


def test_designate_none_leaves_every_contact_to_the_officers(outbreak, tracing_profile):
    tracing_profile(automation={"designate": "none", "min_score": "15.0"})

    run = run_for(outbreak["first"], outbreak["second"])

    assert run.searched == 2 and run.designated_contacts == 0
    assert (run.queued_for_officers, run.cases_for_officers) == (3, 2)
    assert set(Case.objects.values_list("status", flat=True)) == {CaseStatus.CONTACTS_IDENTIFIED}
    assert not Contact.objects.filter(designated_at__isnull=False).exists()
    assert not Message.objects.filter(template__startswith="exposure").exists()


def test_a_failing_case_is_counted_and_the_run_goes_on(outbreak, monkeypatch):
    real = mass.search_contacts

    def search_or_fail(*, case, **kwargs):
        if case.person_id == outbreak["first"].pk:
            raise RuntimeError("Kasus Satu, NIK 3671...")  # personal data in the message
        return real(case=case, **kwargs)

    monkeypatch.setattr(mass, "search_contacts", search_or_fail)

    run = run_for(outbreak["first"], outbreak["second"])

    failing = Case.objects.get(person=outbreak["first"])
    assert run.status == RunStatus.FINISHED
    assert (run.processed, run.opened, run.searched, run.failed) == (2, 2, 1, 1)
    assert run.errors == [{"case": failing.pk, "step": "search", "code": "RuntimeError"}]
    run.refresh_from_db()
    assert "Kasus Satu" not in str(run.errors) and "3671" not in str(run.errors)
    # The failed case is open for the officers; the other one went all the way.
    assert failing.status == CaseStatus.OPEN
    assert Case.objects.get(person=outbreak["second"]).status == CaseStatus.NOTIFIED
    [message] = inapp(outbreak["rina"])
    assert message.template == "exposure_close_contact"


def test_progress_is_reported_per_case_and_saved_every_few(outbreak, monkeypatch):
    monkeypatch.setattr(mass, "PROGRESS_EVERY", 1)
    seen = []

    def progress(run):
        stored = TracingRun.objects.get(pk=run.pk)
        seen.append((run.processed, run.total, stored.processed, run.status))

    run = run_for(outbreak["first"], outbreak["second"], progress=progress)

    assert seen[:2] == [(1, 2, 1, "running"), (2, 2, 2, "running")]
    assert seen[-1] == (2, 2, 2, "finished")
    assert run.status == RunStatus.FINISHED


def test_people_without_a_case_to_open_are_processed_not_failed(outbreak, person):
    stranger = person("Tanpa Hasil")  # no positive result
    old = person("Hasil Lama")
    positive(old, specimen_at=NOW - dt.timedelta(days=30))

    run = run_for(outbreak["first"], stranger, old)

    assert (run.total, run.processed, run.opened, run.failed) == (3, 3, 1, 0)


def test_someone_told_within_24_hours_gets_the_short_update(officer, outbreak, person, hotel):
    # An officer's case first: Rina is designated and told for it.
    earlier = person("Kasus Petugas")
    stay(earlier, hotel, at(0), at(1))
    case = cases.open_case(person=earlier, actor=officer, specimen_date=T0.date(), now=NOW)
    search.search_contacts(case=case, actor=officer, now=NOW)
    rina_contact = Contact.objects.get(case=case, person=outbreak["rina"])
    designate_contacts(case=case, actor=officer, contact_ids=[rina_contact.pk], now=NOW)
    [first_message] = inapp(outbreak["rina"])
    assert first_message.template == "exposure_close_contact"

    # Two hours later the restaurant's case designates her again.
    later = NOW + dt.timedelta(hours=2)
    second = cases.open_case(
        person=outbreak["second"], actor=officer, specimen_date=T0.date(), now=later
    )
    search.search_contacts(case=second, actor=officer, now=later)
    designate_contacts(case=second, actor=officer, now=later)

    update = inapp(outbreak["rina"])[-1]
    assert update.template == "exposure_close_contact_update"
    assert "kasus COVID-19 lain" in update.subject
    assert "Rumah Makan Sederhana" in update.body
    # Still the whole notice after 24 hours.
    third_person = person("Kasus Ketiga")
    stay(third_person, hotel, at(0), at(1))
    much_later = NOW + dt.timedelta(hours=30)
    third = cases.open_case(
        person=third_person, actor=officer, specimen_date=T0.date(), now=much_later
    )
    search.search_contacts(case=third, actor=officer, now=much_later)
    designate_contacts(case=third, actor=officer, now=much_later)
    assert inapp(outbreak["rina"])[-1].template == "exposure_close_contact"


def test_a_run_sends_the_update_to_someone_an_officer_told_today(officer, outbreak, person, hotel):
    earlier = person("Kasus Petugas")
    stay(earlier, hotel, at(0), at(1))
    case = cases.open_case(person=earlier, actor=officer, specimen_date=T0.date(), now=NOW)
    search.search_contacts(case=case, actor=officer, now=NOW)
    designate_contacts(case=case, actor=officer, now=NOW)

    mass.trace_results(nik_indexes=[outbreak["second"].nik_index], now=NOW + dt.timedelta(hours=1))

    assert [m.template for m in inapp(outbreak["rina"])] == [
        "exposure_close_contact",
        "exposure_close_contact_update",
    ]


def test_a_close_contact_of_one_case_is_not_also_informed_for_another(outbreak, person, hotel):
    # Sekilas is also a close contact of a third case in the run: one message, the close one.
    third = person("Kasus Tiga")
    stay(third, hotel, at(hours=1, minutes=35), at(2))  # after the first case's tail
    positive(third)

    run = run_for(outbreak["first"], third)

    messages = inapp(outbreak["brief"])
    assert [m.template for m in messages] == ["exposure_close_contact"]
    rows = Contact.objects.filter(person=outbreak["brief"])
    assert {(r.is_close, r.informed_at is not None) for r in rows} == {(True, False), (False, True)}
    assert run.informed_people == 0


# --- The import's hook and command ------------------------------------------------------


def sheet_for(*people: Any) -> bytes:
    specimen = dt.datetime.now(JKT).replace(microsecond=0) - dt.timedelta(hours=3)
    lines = ["nik,record_type,datetime,method,result"]
    for someone in people:
        serial = int(someone.nik_masked[-4:])
        nik = make_nik(born=someone.birth_date, sex=someone.sex, serial=serial)
        lines.append(f"{nik},lab_result,{specimen.isoformat()},pcr,positive")
    return ("\n".join(lines) + "\n").encode()


def test_an_import_above_the_threshold_runs_in_the_background(
    outbreak, settings, django_capture_on_commit_callbacks
):
    settings.JEJAK_MASS_TRACE_MIN = 1
    with django_capture_on_commit_callbacks(execute=True):
        report = import_health_file(
            sheet_for(outbreak["first"], outbreak["second"]), actor=None, filename="lab.csv"
        )

    assert report.ok, report.problems
    [run] = TracingRun.objects.all()
    # The task ran (tests run tasks at once): the NIK indexes are not kept.
    assert (run.source, run.status, run.total, run.opened, run.searched) == (
        "lab.csv", "finished", 2, 2, 2,
    )  # fmt: skip
    assert run.pending == []
    # Searched (today's windows: the outbreak's stays are years old), and no one to tell.
    assert set(Case.objects.values_list("status", flat=True)) == {CaseStatus.NOTIFIED}


def test_a_task_delivered_twice_traces_nothing_twice(person):
    # The task runs at its own time: a result of today's.
    siti = person("Siti")
    result = positive(siti, specimen_at=dt.datetime.now(JKT) - dt.timedelta(hours=3))
    run = mass.queue_run(nik_indexes=[siti.nik_index], source="lab.csv")
    # The row keeps the result's id, not the person's NIK index.
    assert run.pending == [result.pk]

    mass.run_shard(run.pk, 0)
    again, _due = mass.run_shard(run.pk, 0)

    assert again is not None and (again.status, again.opened) == (RunStatus.FINISHED, 1)
    assert Case.objects.count() == 1
    assert mass.run_shard(999_999, 0) == (None, False)


def test_an_import_at_the_threshold_only_opens_the_cases(
    outbreak, settings, django_capture_on_commit_callbacks
):
    settings.JEJAK_MASS_TRACE_MIN = 2
    with django_capture_on_commit_callbacks(execute=True):
        import_health_file(sheet_for(outbreak["first"], outbreak["second"]), actor=None)

    assert not TracingRun.objects.exists()
    assert set(Case.objects.values_list("status", flat=True)) == {CaseStatus.OPEN}
    assert not Contact.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_import_command_traces_with_a_progress_line(outbreak, tmp_path):
    path = tmp_path / "lab.csv"
    path.write_bytes(sheet_for(outbreak["first"], outbreak["second"]))
    out, err = io.StringIO(), io.StringIO()

    call_command("import_health", str(path), "--trace", stdout=out, stderr=err)

    assert "cases 0/2" not in err.getvalue()
    assert "cases 1/2  50%" in err.getvalue() and "cases 2/2  100%" in err.getvalue()
    assert "tracing run" in out.getvalue() and "2 case(s) opened" in out.getvalue()
    [run] = TracingRun.objects.all()
    assert run.status == RunStatus.FINISHED and run.source == "lab.csv"


# --- The officers' page and API -----------------------------------------------------------


@pytest.fixture
def finished(outbreak):
    return run_for(outbreak["first"], outbreak["second"], source="lab.csv")


def test_officers_see_the_runs_page_and_its_counts(officer_client, finished):
    page = officer_client.get("/pelacakan/proses/")
    assert page.status_code == 200
    assert f"/pelacakan/proses/{finished.pk}/" in page.content.decode()

    detail = officer_client.get(f"/pelacakan/proses/{finished.pk}/").content.decode()
    assert "lab.csv" in detail
    assert '<progress id="run-progress" class="run-progress" max="2" value="2">' in detail
    assert 'data-field="designated_contacts">3<' in detail
    # Counts only: nobody's name.
    assert "Rina" not in detail and "Kasus Satu" not in detail
    assert officer_client.get("/pelacakan/proses/999999/").status_code == 404
    assert officer_client.get(f"/pelacakan/proses/{2**64}/").status_code == 404


def test_the_api_shows_a_runs_progress(officer_client, finished):
    [listed] = officer_client.get("/api/v1/tracing/runs").json()
    assert listed["id"] == finished.pk
    one = officer_client.get(f"/api/v1/tracing/runs/{finished.pk}").json()
    assert (one["status"], one["percent"], one["seconds_left"]) == ("finished", 100, None)
    assert (one["designated_contacts"], one["notified_people"], one["errors"]) == (3, 2, [])
    for missing_id in (999999, 2**64):
        missing = officer_client.get(f"/api/v1/tracing/runs/{missing_id}")
        assert (missing.status_code, missing.json()["code"]) == (404, "run_not_found")


def test_only_tracing_officers_see_runs(make_user, finished):
    visitor = Client()
    visitor.force_login(make_user(Role.VISITOR))
    assert visitor.get(f"/pelacakan/proses/{finished.pk}/").status_code == 403
    assert visitor.get("/api/v1/tracing/runs").status_code == 403
    assert Client().get("/pelacakan/proses/").status_code == 302


def test_the_estimate_reads_the_pace_so_far():
    started = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    run = TracingRun(status=RunStatus.RUNNING, total=100, processed=25, started_at=started)
    progress = mass.estimate(run, now=started + dt.timedelta(seconds=30))
    assert (progress.percent, progress.seconds_left, progress.left) == (25, 90, "1:30")


@pytest.mark.parametrize("search_fails", [False, True])
def test_a_runs_cases_raise_a_venues_cluster_once(
    person, hotel, settings, monkeypatch, search_fails
):
    # A run opens each case without its cluster check and lets the search do it; a case
    # whose search fails is checked on its own, so the venue still counts it.
    settings.JEJAK_CLUSTER_CASES = 2
    cases_ = [person(f"Kasus {n}") for n in range(2)]
    for n, someone in enumerate(cases_):
        stay(someone, hotel, at(n), at(n + 1))
        positive(someone)
    if search_fails:
        real, calls = mass.search_contacts, []

        def search_or_fail(*, case, **kwargs):
            # The run's second case: the first one's check found one case, not two.
            calls.append(case)
            if len(calls) == 2:
                raise RuntimeError("down")
            return real(case=case, **kwargs)

        monkeypatch.setattr(mass, "search_contacts", search_or_fail)

    run = run_for(*cases_)

    assert run.failed == int(search_fails)
    [alert] = ClusterAlert.objects.all()
    assert set(alert.cases.all()) == set(Case.objects.all())


def test_a_run_reads_the_sector_tables_once(outbreak):
    with CaptureQueriesContext(connection) as queries:
        run_for(outbreak["first"], outbreak["second"])
    weights = [q for q in queries if "tracing_venuetypeweight" in q["sql"]]
    profile = [q for q in queries if 'FROM "tracing_tracingprofile"' in q["sql"]]
    assert len(weights) == 1 and len(profile) <= 1


def test_the_messages_read_what_they_need_in_one_query_per_chunk(outbreak, hotel):
    # A run's messages read each chunk's contacts with only the fields a message needs
    # (_rows): a field left out would be fetched again, one query per contact. Rina's
    # account has a phone (SMS addressed from it, in her language) and holds her son,
    # also at the hotel (his message names him).
    rina = outbreak["rina"]
    give_phone(rina.account, "+6281234567890")
    rina.account.language = "en"
    rina.account.save(update_fields=["language"])
    son = make_person(rina.account, relation="child", full_name="Adi Pratama", serial=900)
    stay(son, hotel, at(0), at(1))

    with CaptureQueriesContext(connection) as queries:
        run_for(outbreak["first"], outbreak["second"])

    one_by_one = [
        q["sql"]
        for q in queries
        if ('FROM "people_person"' in q["sql"] or 'FROM "accounts_user"' in q["sql"])
        and "LIMIT 21" in q["sql"]
    ]
    assert one_by_one == []
    sms = Message.objects.filter(to_person__in=[rina, son], channel="sms")
    assert {m.address_masked for m in sms} == {"+62812****7890"}
    assert {m.language for m in sms} == {"en"}
    [about_son] = inapp(son)
    assert "Adi" in about_son.body


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's settings")
def test_a_runs_transaction_plans_afresh_and_commits_without_waiting():
    # The connection keeps generic plans (settings: force_generic_plan), which a run's
    # foreign-key checks must not reuse once made on empty tables (mass._atomic).
    with connection.cursor() as cursor, mass._atomic():
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone() == ("force_custom_plan",)
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone() == ("off",)
