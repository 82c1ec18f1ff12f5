"""/metrics and JSON logs from `jejak serve` as it ships: two worker processes, each
counting its own requests, and any one of them answering a scrape with the node's total
(prometheus-client's multiprocess mode, core/metrics_files.py); log lines as JSON with
the request's id (docs/operations.md)."""

from __future__ import annotations

import json
import time

from jejak.core.tests.metrics_tools import TOKEN, Scraped
from jejak.core.tests.serving import fetch, served, server_env

DEADLINE = 60.0


def test_any_worker_answers_a_scrape_with_every_workers_counts(tmp_path):
    # No migrations: /healthz needs none, and the outbox's gauges then fail to read,
    # which the scrape must survive (and log, as JSON, with the scrape's request id).
    env = server_env(tmp_path, JEJAK_METRICS_TOKEN=TOKEN, JEJAK_LOG_FORMAT="json")
    folder = tmp_path / "metrics"
    auth = {"Authorization": f"Bearer {TOKEN}", "X-Request-ID": "scrape-check-0001"}
    with served(env, workers=2) as (base, _proc):

        def healthz_count() -> float:
            status, body = fetch(base + "/metrics", headers=auth)
            assert status == 200
            scraped = Scraped(body.decode())
            assert scraped.value("jejak_metrics_source_up", source="outbox") == 0
            count = "jejak_http_request_duration_seconds_count"
            return scraped.value(count, route="healthz", method="GET", status_class="2xx")

        before = healthz_count()
        # Until both workers have counted requests (each has its own file).
        sent, deadline = 0, time.monotonic() + DEADLINE
        while len(list(folder.glob("histogram_*.db"))) < 2:
            assert time.monotonic() < deadline, "one worker served every request"
            assert fetch(base + "/healthz")[0] == 200
            sent += 1
        # Whichever worker answers the scrape.
        for _ in range(6):
            assert healthz_count() - before == sent
    log = next(tmp_path.glob("serve-*.log"))
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    failed = [line for line in lines if line["message"] == "metrics source outbox failed"]
    assert failed and failed[0]["request_id"] == "scrape-check-0001"
    assert failed[0]["level"] == "WARNING" and "OperationalError" in failed[0]["exception"]
