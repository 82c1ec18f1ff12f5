"""What `GET /metrics` answers, in Prometheus' text format (docs/operations.md, "Metrics").

Two kinds of figure:

- Counted where things happen, in the process they happen in (prometheus-client's
  counters and histograms): the request latency here (`RequestMetricsMiddleware`), the
  check-in decisions (checkins/metrics.py), the outbox's sends (notifications/metrics.py).
  With metrics on, every process writes them to PROMETHEUS_MULTIPROC_DIR (settings.py) and
  a scrape, whichever server worker answers it, adds up all of the node's processes
  (core/metrics_files.py).
- Read at scrape time from the database (backlogs, queues, lag): each app registers a
  *source* from its `AppConfig.ready` with `register(...)`: one function that reads a few
  gauges (an indexed count or two), cached for `CACHE_SECONDS` in the scraping process,
  so that however many Prometheus servers scrape, the database sees one query per source
  every few seconds. A source that fails (the database is down) leaves its gauges out and
  says so in `jejak_metrics_source_up{source}`; the scrape still answers.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import REGISTRY, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from jejak.core.metrics_files import FilesCollector

logger = logging.getLogger(__name__)

CACHE_SECONDS = 5.0

# Label values of each sample, in the order of the gauge's label names, and its value.
Samples = Mapping[tuple[str, ...], float]


@dataclass(frozen=True)
class GaugeSpec:
    """A gauge a source reads: its name, HELP text and label names."""

    name: str
    documentation: str
    labels: tuple[str, ...] = ()


@dataclass
class _Source:
    name: str
    read: Callable[[], Mapping[str, Samples]]
    gauges: tuple[GaugeSpec, ...]
    seconds: float
    expires: float = 0.0
    values: Mapping[str, Samples] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def current(self) -> Mapping[str, Samples] | None:
        with self.lock:  # two scrapes at once read the database once
            now = time.monotonic()
            if now >= self.expires:
                try:
                    self.values = self.read()
                except Exception:  # any failure: the scrape answers without this source
                    logger.warning("metrics source %s failed", self.name, exc_info=True)
                    self.values = None
                self.expires = now + self.seconds
            return self.values


_sources: dict[str, _Source] = {}


def register(
    source: str,
    read: Callable[[], Mapping[str, Samples]],
    *gauges: GaugeSpec,
    seconds: float = CACHE_SECONDS,
) -> None:
    """Add (or replace) a scrape-time source: `read()` returns, for each gauge's name,
    its samples (label values -> value); a gauge it leaves out is absent from the scrape.
    For apps' `AppConfig.ready`: the outbox's backlog, the task queues, replica lag,
    partitions. A gauge's name belongs to one source: two would write it twice in a
    scrape, which Prometheus refuses whole."""
    for other in _sources.values():
        taken = {g.name for g in other.gauges} & {g.name for g in gauges}
        if other.name != source and taken:
            raise ValueError(f"{', '.join(sorted(taken))} already read by source {other.name}")
    _sources[source] = _Source(source, read, tuple(gauges), seconds)


def unregister(source: str) -> None:
    _sources.pop(source, None)


class SourcesCollector:
    """The registered sources' gauges, and whether each source could be read."""

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(
            "jejak_metrics_source_up",
            "1 if the scrape-time source could be read, 0 if it failed (its gauges are absent).",
            labels=["source"],
        )
        for source in list(_sources.values()):
            values = source.current()
            up.add_metric([source.name], 0.0 if values is None else 1.0)
            for spec in source.gauges:
                family = GaugeMetricFamily(spec.name, spec.documentation, labels=spec.labels)
                for labels, value in (values or {}).get(spec.name, {}).items():
                    family.add_metric(labels, value)
                yield family
        yield up


def multiprocess_dir() -> Path | None:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(folder) if folder else None


class Scrape:
    """Everything one scrape exposes: this node's counted figures (all its processes' in
    multiprocess mode, else this process's with its CPU and memory) and the sources'."""

    def __init__(self) -> None:
        folder = multiprocess_dir()
        self.counted = FilesCollector(folder) if folder else REGISTRY

    def collect(self) -> Iterable[Metric]:
        yield from self.counted.collect()
        yield from SourcesCollector().collect()


def exposition(accept: str) -> tuple[bytes, str]:
    """The scrape's body and content type (Prometheus' text or OpenMetrics, as accepted)."""
    encoder, content_type = choose_encoder(accept)
    return encoder(Scrape()), content_type


# --- Who may scrape -------------------------------------------------------------------


def enabled() -> bool:
    return bool(settings.JEJAK_METRICS_TOKEN or settings.JEJAK_METRICS_NETWORKS)


def refusal(request: HttpRequest) -> int | None:
    """The status to refuse this scrape with, or None to answer it. Off (no token and no
    networks): 404, as if there were no such page. A client outside JEJAK_METRICS_NETWORKS
    (when set): 404 as well. A missing or wrong bearer token (when JEJAK_METRICS_TOKEN is
    set): 401."""
    if not enabled():
        return 404
    networks = settings.JEJAK_METRICS_NETWORKS
    if networks and not _in_networks(request.META.get("REMOTE_ADDR", ""), networks):
        return 404
    token = settings.JEJAK_METRICS_TOKEN
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        # Compared in constant time: the time taken says nothing of how much matched.
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), token.encode()
        ):
            return 401
    return None


def _in_networks(address: str, networks: Sequence[str]) -> bool:
    try:
        client = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(client in ipaddress.ip_network(network, strict=False) for network in networks)


# --- Requests -------------------------------------------------------------------------

REQUEST_SECONDS = Histogram(
    "jejak_http_request_duration_seconds",
    "Time from the request entering Django's middleware to its response, by URL name "
    "(route), method and status class.",
    ["route", "method", "status_class"],
    # From a cached page to a check-in waiting out a database failover.
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestMetricsMiddleware:
    """Times every request. The route is the URL's name (`api:check_in`, `venue_detail`),
    never the path: a path holds ids and codes, and each distinct label value is a new
    series in Prometheus. Unresolved paths are `static` (WhiteNoise) or `unmatched`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.static = settings.STATIC_URL or "/static/"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        match = request.resolver_match
        if match is not None:
            route = match.view_name
        elif request.path.startswith(self.static):
            route = "static"
        else:
            route = "unmatched"
        method = request.method if request.method in _METHODS else "other"
        status_class = f"{response.status_code // 100}xx"
        REQUEST_SECONDS.labels(route, method, status_class).observe(elapsed)
        return response
