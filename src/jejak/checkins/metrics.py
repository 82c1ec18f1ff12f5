"""The check-in decisions, counted for /metrics (core/metrics.py; docs/operations.md)."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import Counter

from jejak.checkins.plans import CheckInResult, Outcome

DECISIONS = Counter(
    "jejak_checkin_decisions",
    "Check-in decisions: per person entering, the decision (allowed, "
    "allowed_after_staff_check, denied) and its first reason code (none when admitted); "
    "per request refused whole, outcome refused and the refusal's code.",
    ["outcome", "reason"],
)


def count(outcomes: Sequence[Outcome]) -> None:
    """Count the decisions of one `record_many` call. A replayed answer (a retried nonce)
    was counted when it was decided; a rescan that checks a person out decides no entry.

    A denial may have several reasons (red and outside the opening hours); the first, the
    one the visitor reads first, names it, so that the counts add up to the decisions."""
    for outcome in outcomes:
        if not isinstance(outcome, CheckInResult):
            DECISIONS.labels("refused", str(outcome.code)).inc()
        elif not outcome.replayed:
            for person in outcome.data["people"]:
                if person["action"] == "check_in":
                    reasons = person["reasons"]
                    DECISIONS.labels(person["decision"], reasons[0] if reasons else "none").inc()
