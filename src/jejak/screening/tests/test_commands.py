"""`jejak status` and `jejak load-ruleset`."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from jejak.audit.models import AuditEvent
from jejak.people.nik import nik_index
from jejak.people.tests.factories import make_nik
from jejak.screening.models import RuleSet
from jejak.screening.tests.factories import JKT, doses

NIK = make_nik(born=dt.date(1985, 6, 1), serial=42)


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_status_json_shape_and_audit(city):
    at = dt.datetime(2021, 12, 1, 9, tzinfo=JKT)
    for build in doses(2):
        build(nik_index(NIK), at)
    output = run("status", NIK, "--at", "2021-12-01T09:00:00", "--format", "json")
    assert json.loads(output) == {
        "colour": "hijau",
        "reasons": ["fully_vaccinated"],
        "rule_set": "2021-09",
    }
    event = AuditEvent.objects.get(action="screening.status_cli")
    assert event.detail["nik_masked"] == "3671********0042"
    assert event.detail["at"] == "2021-12-01T09:00:00+07:00"
    assert event.detail["colour"] == "hijau"
    assert NIK not in json.dumps(event.detail)
    assert nik_index(NIK) not in json.dumps(event.detail)


def test_status_text(city):
    output = run("status", NIK, "--at", "2022-08-01T09:00:00+07:00")
    assert "colour:   merah" in output
    assert "rule set: 2022-07-17" in output


def test_status_failures_are_audited_too(city):
    with pytest.raises(CommandError, match="no_rule_set"):
        run("status", NIK, "--at", "2020-01-01")
    with pytest.raises(CommandError, match="nik_invalid"):
        run("status", "12345")
    assert AuditEvent.objects.filter(action="screening.status_cli").count() == 2


def test_status_bad_moment(db):
    with pytest.raises(CommandError, match="--at"):
        run("status", NIK, "--at", "yesterday")


def write(tmp_path, doc) -> str:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


NEW = {
    "format": "jejak-rules/1",
    "slug": "2031-01",
    "name": "Uji",
    "effective_from": "2031-01-01",
    "default": {"colour": "merah", "reason": "not_vaccinated"},
    "rules": [
        {"when": [{"fact": "doses", "min": 2}], "colour": "hijau", "reason": "fully_vaccinated"}
    ],
}


def test_load_ruleset_refuses_invalid_documents(db, tmp_path):
    path = write(tmp_path, {**NEW, "rules": [{"when": [], "colour": "ungu"}]})
    with pytest.raises(CommandError) as caught:
        run("load_ruleset", path)
    message = str(caught.value)
    assert "rules[0].colour: one of hijau, kuning, merah, hitam" in message
    assert "rules[0].when: must be a non-empty list of conditions" in message
    assert not RuleSet.objects.filter(slug="2031-01").exists()


def test_load_ruleset_refuses_overlap_unless_closing_the_previous(db, tmp_path):
    path = write(tmp_path, NEW)
    with pytest.raises(CommandError, match="overlaps rule set '2022-07-17'"):
        run("load_ruleset", path)
    assert run("load_ruleset", path, "--close-previous").strip() == "2031-01: loaded"
    assert run("load_ruleset", path).strip() == "2031-01: already loaded, unchanged"
    assert AuditEvent.objects.filter(action="screening.rule_set_loaded").count() == 1
    assert AuditEvent.objects.filter(action="screening.rule_set_closed").count() == 1


def test_load_ruleset_overrides(db, tmp_path):
    doc = {k: v for k, v in NEW.items() if k not in ("slug", "effective_from")}
    path = write(tmp_path, doc)
    with pytest.raises(CommandError, match="slug: give one"):
        run("load_ruleset", path)
    run(
        "load_ruleset",
        path,
        "--slug",
        "2032-05",
        "--effective-from",
        "2032-05-01",
        "--close-previous",
    )
    stored = RuleSet.objects.get(slug="2032-05")
    assert stored.effective_from == dt.datetime(2032, 5, 1, tzinfo=JKT)
    assert stored.name == "Uji"
    assert "slug" not in stored.document


def test_load_ruleset_check_only(db, tmp_path):
    assert run("load_ruleset", write(tmp_path, NEW), "--check").strip().endswith(": valid")
    assert not RuleSet.objects.filter(slug="2031-01").exists()


def test_load_ruleset_unreadable_file(db, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="Cannot read"):
        run("load_ruleset", str(path))
