"""The read replicas on /metrics (core/metrics.py; docs/operations.md, "Read replicas"):
each replica's lag as this process measures it (core/replicas.py), whether reads may go
to it, and the bound. No replica configured: no sample."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings

from jejak.core import metrics, replicas

LAG = metrics.GaugeSpec(
    "jejak_replica_lag_seconds",
    "How far the read replica is behind the primary, in seconds (absent while it cannot "
    "be measured: unreachable, not a standby).",
    ("replica",),
)
USABLE = metrics.GaugeSpec(
    "jejak_replica_usable",
    "1 if reads may go to the replica (reachable, a standby, lag within the bound), else 0.",
    ("replica",),
)
BOUND = metrics.GaugeSpec(
    "jejak_replica_max_lag_seconds",
    "JEJAK_REPLICA_MAX_LAG_SECONDS: a replica further behind is not read from.",
)


def read_lags() -> Mapping[str, metrics.Samples]:
    lags = replicas.replica_lags()
    if not lags:
        return {}
    bound = float(settings.JEJAK_REPLICA_MAX_LAG_SECONDS)
    lag: dict[tuple[str, ...], float] = {}
    usable: dict[tuple[str, ...], float] = {}
    for alias, seconds in lags.items():
        if seconds is not None:
            lag[(alias,)] = seconds
        usable[(alias,)] = 1.0 if seconds is not None and seconds <= bound else 0.0
    return {LAG.name: lag, USABLE.name: usable, BOUND.name: {(): bound}}


def register() -> None:
    metrics.register("replicas", read_lags, LAG, USABLE, BOUND)
