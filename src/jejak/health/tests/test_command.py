from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jejak.accounts.roles import Role
from jejak.audit.models import AuditEvent
from jejak.health.tests.helpers import BUNDLE_PATH, CSV_PATH, SITI, stored

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_health", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_prints_counts_per_record_type():
    out, _ = run(str(BUNDLE_PATH))

    assert "vaccination: 3 created, 0 already present" in out
    assert "lab_result: 2 created, 0 already present" in out
    assert "ignored immunization_not_completed: 1" in out
    assert "5 record(s) created" in out


def test_command_reports_records_already_present():
    run(str(CSV_PATH))
    out, _ = run(str(CSV_PATH))
    assert "0 record(s) created, 10 already present" in out


def test_command_lists_every_problem_and_fails(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "nik,record_type,date,dose_number,product\n"
        f"{SITI},vaccination,kemarin,1,CoronaVac\n"
        "123,vaccination,2021-07-01,1,CoronaVac\n"
    )
    err = io.StringIO()

    with pytest.raises(CommandError) as failed:
        call_command("import_health", str(bad), stderr=err)

    assert "2 problem(s) in bad.csv" in str(failed.value)
    assert "Tidak ada yang diimpor" in str(failed.value)
    assert "line 2 [date] bad_date" in err.getvalue()
    assert "line 3 [nik] bad_nik" in err.getvalue()
    assert "123" not in err.getvalue().split("bad_nik")[1]
    assert stored() == 0


def test_command_exit_status_is_non_zero_on_problems(tmp_path, monkeypatch):
    from jejak.cli import main

    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceType": "Patient"}')
    monkeypatch.setattr("sys.argv", ["jejak", "import-health", str(bad)])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1


def test_command_as_actor_checks_the_capability(make_user):
    officer = make_user(Role.HEALTH_OFFICER, username="dinkes")
    make_user(Role.VENUE_STAFF, username="kasir")

    run(str(BUNDLE_PATH), "--actor", "dinkes")
    assert AuditEvent.objects.get(action="health.import").actor == officer
    with pytest.raises(CommandError, match="may not import"):
        run(str(BUNDLE_PATH), "--actor", "kasir")
    with pytest.raises(CommandError, match="No user"):
        run(str(BUNDLE_PATH), "--actor", "nobody")


def test_command_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run(str(tmp_path / "missing.json"))
