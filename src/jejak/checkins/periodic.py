"""The periodic work `jejak run-periodic` repeats: close stays that are over, notify
black-status alerts whose task was lost, send the outbox's due messages (retries),
create the check-ins' day partitions ahead (PostgreSQL; docs/partitions.md), and delete
every class of personal data past its retention (a step per class, from
core/retention.py's registry; docs/retention.md).

Each step is independent: one that fails is logged and the others still run, because a
broken SMS gateway must not keep people "inside" or keep data past its retention.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone

from jejak.checkins import alerts, checkout, partitions
from jejak.core import retention, shutdown
from jejak.notifications import delivery

logger = logging.getLogger(__name__)


def auto_checkout_all() -> dict[str, int]:
    total = 0
    # auto_checkout works a batch of venues at a time; repeat until none is left.
    while closed := checkout.auto_checkout():
        total += closed
    return {"checked_out": total}


def notify_black_alerts() -> dict[str, int]:
    # Without a worker, check-ins leave their alerts to this step: nothing else will
    # notify them, so there is no task to give time to.
    return alerts.notify_unnotified_alerts(older_than=0 if alerts.tasks_run_inline() else None)


def send_due_messages() -> dict[str, int]:
    return delivery.send_due()


def ensure_partitions() -> dict[str, int]:
    # A week of days ahead (docs/partitions.md).
    return partitions.ensure(timezone.now())


def purge(item: retention.RetentionClass) -> Callable[[], dict[str, int]]:
    """The step that enforces one class's retention."""
    return lambda: item.purge(now=timezone.now(), dry_run=False)


@dataclass
class Step:
    name: str
    run: Callable[[], dict[str, int]]
    # Seconds between two runs of this step; 0 runs it every round.
    every: float = 0
    last_run: dt.datetime | None = field(default=None)

    def due(self, now: dt.datetime) -> bool:
        return self.last_run is None or (now - self.last_run).total_seconds() >= self.every


# Steps of apps above this one, which it may not import (docs/architecture.md, "Layers"):
# each adds (name, function, seconds between runs) from its AppConfig.ready, as zones
# does for its hourly risk figures.
EXTRA_STEPS: list[tuple[str, Callable[[], dict[str, int]], float]] = []


def steps(*, retention_every: float = 3600) -> list[Step]:
    """The steps of one round, in order. Retention scans old rows, so it runs less often."""
    partitioned = partitions.active()
    return [
        Step("auto-checkout", auto_checkout_all),
        Step("black-alerts", notify_black_alerts),
        Step("send-due", send_due_messages),
        # Only where check-ins are partitioned (PostgreSQL after checkins 0010).
        *(
            [Step("checkin-partitions", ensure_partitions, every=retention_every)]
            if partitioned
            else []
        ),
        *(
            Step(f"retention {item.name}", purge(item), every=retention_every)
            for item in retention.classes()
        ),
        *(Step(name, run, every=every) for name, run, every in EXTRA_STEPS),
    ]


def run_round(plan: list[Step], *, force: bool = False) -> dict[str, dict[str, int] | str]:
    """Run the steps that are due (all of them with `force`); returns each step's counts,
    or "error" for a step that raised."""
    results: dict[str, dict[str, int] | str] = {}
    for step in plan:
        if shutdown.requested.is_set():
            # Asked to stop: the steps not run yet wait for the next start.
            break
        now = timezone.now()
        if not force and not step.due(now):
            continue
        step.last_run = now
        try:
            counts = step.run()
        except Exception:
            # Deliberately broad: the next step and the next round must still run.
            logger.exception("periodic step %s failed", step.name)
            results[step.name] = "error"
            continue
        # The command prints these counts; the log repeats them only at DEBUG.
        logger.debug(
            "periodic step %s: %s", step.name, ", ".join(f"{k}={v}" for k, v in counts.items())
        )
        results[step.name] = counts
    return results
