"""What screening keeps, and how far back its colours look (docs/retention.md).

- Status passes (whose colour a guard saw): JEJAK_STATUS_PASS_RETENTION_DAYS after they
  expired. passes.py deletes them too when the same person gets a new pass; the
  periodic purge catches the people who never come back.
- `colour_lookback` tells health's purge (health/retention.py, `LOOKBACKS`) how long
  after its date each kind of record can still change a colour, from the rule sets in
  force now or later: no record that still changes somebody's colour is deleted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from django.db.models import Q

from jejak.core import retention
from jejak.health import retention as health
from jejak.screening.facts import FACTS
from jejak.screening.models import RuleSet, StatusPass

PASSES_SETTING = "JEJAK_STATUS_PASS_RETENTION_DAYS"

# A scan made offline is decided as of its moment, up to 24 hours back (checkins/scan.py):
# the records it needs are a day older than today's.
OFFLINE_MARGIN = dt.timedelta(days=1)

Span = dt.timedelta | None


def _days(p: Mapping[str, Any], name: str) -> dt.timedelta:
    return dt.timedelta(days=p[name])


# For each fact: the kinds of record it reads and how long after the record's date
# (a dose's day, a specimen, a designation's start, a quarantine's or exemption's last
# day) the record can still make the fact hold. Every fact must be here
# (tests/test_retention.py): a new fact without its reach would let records go too soon.
REACH: dict[str, Callable[[Mapping[str, Any]], dict[str, Span]]] = {
    # Day 0 .. until_day-1 from the specimen (lab result or designation).
    "positive_case": lambda p: {
        health.LAB_RESULTS: _days(p, "until_day"),
        health.DESIGNATIONS: _days(p, "until_day"),
    },
    # Day 0 .. until_day-1 from the exposure; a negative test after it lifts it.
    "close_contact": lambda p: {
        health.LAB_RESULTS: _days(p, "until_day"),
        health.DESIGNATIONS: _days(p, "until_day"),
    },
    "travel_quarantine": lambda p: {health.QUARANTINES: dt.timedelta(0)},
    # A negative counts `hours`, unless a positive (result or designation) came after it:
    # an older positive never blocks a negative, so `hours` covers both.
    "negative_test": lambda p: {
        health.LAB_RESULTS: dt.timedelta(hours=p["hours"]),
        health.DESIGNATIONS: dt.timedelta(hours=p["hours"]),
    },
    "recovered": lambda p: {
        health.LAB_RESULTS: _days(p, "days"),
        health.DESIGNATIONS: _days(p, "days"),
    },
    # The count of doses never ages: every dose ever given counts.
    "doses": lambda p: {health.DOSES: health.FOREVER},
    "age": lambda p: {},
    # In force while its last day (if any) is not past.
    "vaccination_exemption": lambda p: {health.EXEMPTIONS: dt.timedelta(0)},
}


def _facts(condition: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    if "fact" in condition:
        yield condition
    elif "not" in condition:
        yield from _facts(condition["not"])
    else:
        for inner in next(iter(condition.values())):
            yield from _facts(inner)


def document_lookback(document: Mapping[str, Any]) -> dict[str, Span]:
    """{kind: how long after its date a record can change a colour under `document`}."""
    spans: dict[str, Span] = {}
    for rule in document["rules"]:
        for condition in rule["when"]:
            for fact in _facts(condition):
                params = FACTS[fact["fact"]].with_defaults(fact)
                for kind, span in REACH[fact["fact"]](params).items():
                    spans[kind] = _longer(spans.get(kind, dt.timedelta(0)), span)
    return spans


def _longer(a: Span, b: Span) -> Span:
    return None if a is None or b is None else max(a, b)


def colour_lookback(now: dt.datetime) -> dict[str, Span]:
    """The reach of every rule set in force at `now` or later, plus the offline margin."""
    spans: dict[str, Span] = {}
    current = RuleSet.objects.filter(Q(effective_until__isnull=True) | Q(effective_until__gt=now))
    for document in current.values_list("document", flat=True):
        for kind, span in document_lookback(document).items():
            spans[kind] = _longer(spans.get(kind, dt.timedelta(0)), span)
    return {kind: None if span is None else span + OFFLINE_MARGIN for kind, span in spans.items()}


def purge_expired_passes(*, now: dt.datetime, dry_run: bool = False) -> dict[str, int]:
    """Status passes expired more than JEJAK_STATUS_PASS_RETENTION_DAYS ago."""
    days = retention.days(PASSES_SETTING)
    before = now - dt.timedelta(days=days)
    expired = StatusPass.objects.filter(expires_at__lt=before)
    # Routine, like passes.py's own clean-up: no audit row.
    return {"passes": retention.count_or_delete(expired, dry_run=dry_run, name="passes")}
