"""Every class of personal data has a registered purge, a period setting and a line in
docs/retention.md; `jejak purge` runs them, `--dry-run` only counts."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from jejak.core import retention
from jejak.core.tests.retention_tools import ago
from jejak.people.models import NikClaimAttempt

DOC = Path(__file__).resolve().parents[4] / "docs" / "retention.md"

EXPECTED = {
    "sign-in-codes",
    "login-attempts",
    "api-tokens",
    "sessions",
    "admin-log",
    "claim-attempts",
    "dependant-requests",
    "health-records",
    "designations",
    "status-passes",
    "rosters",
    "checkins",
    "messages",
    "cases",
    "exposure-sites",
    "clusters",
    "audit",
}


def test_every_class_is_registered_with_a_setting_and_documented():
    names = [item.name for item in retention.classes()]
    assert set(names) >= EXPECTED
    assert names[-1] == "audit"
    doc = DOC.read_text()
    for item in retention.classes():
        assert isinstance(getattr(settings, item.setting), int), item.setting
        assert f"`{item.name}`" in doc, item.name
        assert f"`{item.setting}`" in doc, item.setting


def test_every_model_holding_personal_data_is_in_the_retention_doc():
    from jejak.core.personal_data import PERSONAL

    doc = DOC.read_text()
    missing = [label for label in PERSONAL if f"`{label}`" not in doc]
    assert not missing, f"docs/retention.md says nothing of {missing}"


def test_purge_dry_run_counts_and_deletes_nothing(db, make_user, settings):
    settings.JEJAK_CLAIM_ATTEMPT_RETENTION_DAYS = 90
    account = make_user()
    old = NikClaimAttempt.objects.create(nik_index="a" * 64, attempted_by=account, at=ago(91))

    out = io.StringIO()
    call_command("purge", "--dry-run", "--only", "claim-attempts", stdout=out)
    assert out.getvalue().splitlines() == [
        "claim-attempts: claim_attempts=1 identity_refusals=0 "
        "(JEJAK_CLAIM_ATTEMPT_RETENTION_DAYS=90)"
    ]
    assert NikClaimAttempt.objects.filter(pk=old.pk).exists()

    out = io.StringIO()
    call_command("purge", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == [i.name for i in retention.classes()]
    assert (
        "claim-attempts: claim_attempts=1 identity_refusals=0 "
        "(JEJAK_CLAIM_ATTEMPT_RETENTION_DAYS=90)"
    ) in lines
    assert not NikClaimAttempt.objects.filter(pk=old.pk).exists()


def test_purge_refuses_an_unknown_class(db):
    with pytest.raises(CommandError, match="unknown class checkin"):
        call_command("purge", "--only", "checkin")
