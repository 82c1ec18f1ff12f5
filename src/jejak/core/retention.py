"""Retention: every class of personal data has a period, and a purge that enforces it
(docs/retention.md).

Core sits below the apps that own the data, so it cannot call their purges: each app
registers its classes here from its AppConfig.ready (`register`), and `jejak
run-periodic` (a step per class) and `jejak purge` (with `--dry-run` to count) run what
`classes()` lists. Audit, the one layer below core, is listed by core itself, last.

A purge is called with `now` and `dry_run` and returns how many rows of each kind went
(or, dry, would go). It deletes in batches, each in a short transaction of its own, so
that check-ins and sign-ins never queue behind it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.db import models, transaction

from jejak.audit import retention as audit_retention
from jejak.audit import service as audit

# Rows deleted per transaction.
BATCH = 2000


class Purge(Protocol):
    def __call__(self, *, now: dt.datetime, dry_run: bool) -> dict[str, int]: ...


@dataclass(frozen=True)
class RetentionClass:
    name: str
    # The setting that gives the period (days, unless its name says otherwise).
    setting: str
    purge: Purge


_REGISTERED: dict[str, RetentionClass] = {}


def register(name: str, *, setting: str, purge: Purge) -> None:
    """Add (or replace: `ready` may run twice in tests) a class of personal data."""
    _REGISTERED[name] = RetentionClass(name, setting, purge)


def classes() -> list[RetentionClass]:
    """Every class, in the order the apps were installed, audit last: the other purges
    write their summary rows first, and aggregation only ever reaches old rows."""
    return [
        *_REGISTERED.values(),
        RetentionClass("audit", "JEJAK_AUDIT_RETENTION_DAYS", audit_retention.aggregate_expired),
    ]


def days(setting: str, *, at_least: int = 0) -> int:
    """A period in days from its setting; `at_least` keeps what the feature itself needs
    (a rate limit counting a day of rows cannot work on less than a day)."""
    return max(int(getattr(settings, setting)), at_least)


def delete_in_batches(
    rows: models.QuerySet[Any], *, batch: int = BATCH, labels: dict[str, str] | None = None
) -> Counter[str]:
    """Delete `rows`, oldest ids first, `batch` at a time, each batch in its own
    transaction; returns the rows deleted per model (cascades included), named by
    `labels` (model label -> name) or by the model's label."""
    deleted: Counter[str] = Counter()
    model = rows.model
    while ids := list(rows.order_by("pk").values_list("pk", flat=True)[:batch]):
        with transaction.atomic():
            # The collector's delete: cascades (and their signals) as for one row.
            _, per_model = model._default_manager.filter(pk__in=ids).delete()
        for label, count in per_model.items():
            deleted[(labels or {}).get(label, label)] += count
    return deleted


def count_or_delete(
    rows: models.QuerySet[Any], *, dry_run: bool, name: str, batch: int = BATCH
) -> int:
    """How many of `rows` go: counted with `dry_run`, else deleted in batches."""
    if dry_run:
        return rows.count()
    return delete_in_batches(rows, batch=batch, labels={rows.model._meta.label: name})[name]


def record_purge(action: str, *, before: dt.datetime, days: int, counts: dict[str, int]) -> None:
    """One audit row per purge that deleted something: when, up to when, how many."""
    if any(counts.values()):
        detail: dict[str, Any] = {"before": before.isoformat(), "days": days, **counts}
        audit.record(actor=None, action=action, **detail)
