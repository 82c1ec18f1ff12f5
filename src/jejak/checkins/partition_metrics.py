"""Check-in partitions on /metrics (core/metrics.py; docs/operations.md, "Metrics"), where
check-ins are partitioned by day (partitions.py): how many day partitions there are, how
far ahead of today the newest reaches and how old the oldest is (the periodic runner
creating days and retention dropping them), and day tables a stopped drop left detached.
Four catalogue queries. Where check-ins are not partitioned (SQLite), no gauge."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils import timezone

from jejak.checkins import partitions
from jejak.core import metrics

DAYS = metrics.GaugeSpec(
    "jejak_checkin_partitions",
    "Day partitions of the check-in table (the default partition not counted).",
)
AHEAD = metrics.GaugeSpec(
    "jejak_checkin_partition_days_ahead",
    "Days from today (Asia/Jakarta) to the newest day partition: 2 or more while the "
    "periodic runner creates them; below 0, today's check-ins go to the default partition.",
)
OLDEST = metrics.GaugeSpec(
    "jejak_checkin_partition_oldest_age_days",
    "Age in days of the oldest day partition: about the retention period while retention "
    "drops the days past it.",
)
DETACHED = metrics.GaugeSpec(
    "jejak_checkin_partitions_detached",
    "Day tables detached from the check-in table and not dropped (a drop stopped between "
    "its two transactions); the next retention run drops them.",
)


def read_partitions() -> Mapping[str, metrics.Samples]:
    if not partitions.active():
        return {}
    days = partitions.existing()
    found: dict[str, metrics.Samples] = {
        DAYS.name: {(): float(len(days))},
        DETACHED.name: {(): float(len(partitions.detached()))},
    }
    if days:
        today = partitions.day_of(timezone.now())
        found[AHEAD.name] = {(): float((days[-1].day - today).days)}
        found[OLDEST.name] = {(): float((today - days[0].day).days)}
    return found


def register() -> None:
    metrics.register("checkin_partitions", read_partitions, DAYS, AHEAD, OLDEST, DETACHED)
