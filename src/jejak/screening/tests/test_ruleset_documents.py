"""The document format: the shipped files are valid, broken documents list their problems."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
from django.utils import timezone

from jejak.screening import ruleset
from jejak.screening.models import RuleSet
from jejak.screening.tests.cases import run_case
from jejak.screening.tests.factories import JKT

RULESETS = Path(__file__).resolve().parent.parent / "rulesets"


def shipped(name: str) -> dict:
    return json.loads((RULESETS / f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["2021-09", "2022-07-17"])
def test_shipped_files_are_valid(name):
    assert ruleset.validate_document(shipped(name)) == []


@pytest.mark.parametrize("name", ["2021-09", "2022-07-17"])
def test_migration_stored_the_shipped_files(db, name):
    stored = RuleSet.objects.get(slug=name)
    metadata, document = ruleset.split_file(shipped(name))
    assert stored.document == document
    assert stored.name == metadata["name"]
    assert ruleset.validate_document(stored.document, allow_metadata=False) == []


def test_shipped_sets_meet_end_to_start(db):
    old, new = RuleSet.objects.get(slug="2021-09"), RuleSet.objects.get(slug="2022-07-17")
    assert old.effective_until == new.effective_from
    assert new.effective_until is None
    assert timezone.localtime(old.effective_from).isoformat() == "2021-09-01T00:00:00+07:00"


def broken(change) -> dict:
    doc = copy.deepcopy(shipped("2021-09"))
    change(doc)
    return doc


INVALID = [
    ("not an object", [], ["document: must be a JSON object"]),
    (
        "wrong format",
        broken(lambda d: d.update(format="jejak-rules/9")),
        ["format: must be 'jejak-rules/1'"],
    ),
    ("unknown key", broken(lambda d: d.update(colours={})), ["colours: unknown key"]),
    ("no rules", broken(lambda d: d.update(rules=[])), ["rules: must be a non-empty list"]),
    (
        "no default",
        broken(lambda d: d.pop("default")),
        ["default: must be an object with colour and reason"],
    ),
    (
        "unknown colour",
        broken(lambda d: d["rules"][0].update(colour="ungu")),
        ["rules[0].colour: one of hijau, kuning, merah, hitam"],
    ),
    (
        "unknown reason",
        broken(lambda d: d["default"].update(reason="because")),
        ["default.reason: unknown reason code 'because'"],
    ),
    (
        "unknown fact",
        broken(lambda d: d["rules"][6]["when"][0].update(fact="dose")),
        [
            "rules[6].when[0].fact: unknown fact 'dose' (one of positive_case, close_contact, "
            "travel_quarantine, negative_test, recovered, doses, age, vaccination_exemption)"
        ],
    ),
    (
        "missing parameter",
        broken(lambda d: d["rules"][3]["when"][0].pop("hours")),
        ["rules[3].when[0].hours: required by negative_test"],
    ),
    (
        "parameter of the wrong type",
        broken(lambda d: d["rules"][3]["when"][0].update(hours="48")),
        ["rules[3].when[0].hours: must be a whole number"],
    ),
    (
        "boolean is not a number",
        broken(lambda d: d["rules"][3]["when"][0].update(hours=True)),
        ["rules[3].when[0].hours: must be a whole number"],
    ),
    (
        "parameter out of range",
        broken(lambda d: d["rules"][0]["when"][0].update(until_day=0)),
        ["rules[0].when[0].until_day: must be between 1 and 90"],
    ),
    (
        "unknown method",
        broken(lambda d: d["rules"][3]["when"][0].update(method="lamp")),
        ["rules[3].when[0].method: one of antigen, pcr"],
    ),
    (
        "extra parameter",
        broken(lambda d: d["rules"][2]["when"][0].update(days=3)),
        ["rules[2].when[0].days: travel_quarantine takes no parameter 'days'"],
    ),
    (
        "range without bounds",
        broken(lambda d: d["rules"][6]["when"][0].pop("min")),
        ["rules[6].when[0]: doses needs min or max"],
    ),
    (
        "min above max",
        broken(lambda d: d["rules"][7]["when"][0].update(min=2)),
        ["rules[7].when[0]: min is greater than max"],
    ),
    (
        "empty when",
        broken(lambda d: d["rules"][0].update(when=[])),
        ["rules[0].when: must be a non-empty list of conditions"],
    ),
    (
        "bad combinator",
        broken(lambda d: d["rules"][0].update(when=[{"either": []}])),
        ["rules[0].when[0]: needs a 'fact', or exactly one of 'all', 'any', 'not'"],
    ),
    (
        "empty any",
        broken(lambda d: d["rules"][0].update(when=[{"any": []}])),
        ["rules[0].when[0].any: must be a non-empty list of conditions"],
    ),
    (
        "too deep",
        broken(
            lambda d: d["rules"][0].update(
                when=[
                    {"not": {"not": {"not": {"not": {"not": {"not": {"fact": "age", "min": 1}}}}}}}
                ]
            )
        ),
        ["rules[0].when[0].not.not.not.not.not.not: nested deeper than 6"],
    ),
    (
        "bad dates",
        broken(lambda d: d.update(effective_until="2021-08-01")),
        ["effective_until: must be later than effective_from"],
    ),
    (
        "unparseable date",
        broken(lambda d: d.update(effective_from="1 September")),
        ["effective_from: an ISO date (2022-07-17) or date-time with offset"],
    ),
]


@pytest.mark.parametrize(
    ("doc", "problems"), [pytest.param(*case[1:], id=case[0]) for case in INVALID]
)
def test_invalid_documents_list_their_problems(doc, problems):
    assert ruleset.validate_document(doc) == problems


def test_every_problem_is_reported_at_once():
    def many(d):
        d["format"] = "x"
        d["rules"][0]["colour"] = "ungu"
        d["rules"][1]["when"][0]["until_day"] = -1

    assert len(ruleset.validate_document(broken(many))) == 3


def test_stored_documents_carry_no_identity():
    problems = ruleset.validate_document(shipped("2021-09"), allow_metadata=False)
    assert "slug: set this in the rule set's own field, not in the document" in problems


def test_combinators_evaluate(db):
    doc = {
        "format": "jejak-rules/1",
        "default": {"colour": "merah", "reason": "not_vaccinated"},
        "rules": [
            {
                "when": [{"any": [{"fact": "age", "max": 5}, {"not": {"fact": "age", "max": 80}}]}],
                "colour": "hijau",
                "reason": "below_vaccination_age",
            }
        ],
    }
    assert ruleset.validate_document(doc) == []
    assert ruleset.tables_used(doc) == frozenset()
    RuleSet.objects.update(document=doc)
    at = dt.datetime(2023, 1, 1, tzinfo=JKT)
    assert run_case([], at=at, age=(3, 0)).colour == "hijau"
    assert run_case([], at=at, age=(81, 0)).colour == "hijau"
    assert run_case([], at=at, age=(40, 0)).colour == "merah"
