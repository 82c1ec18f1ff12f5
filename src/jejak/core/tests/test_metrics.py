"""GET /metrics: who may scrape, what a scrape holds (requests by route name, the
scrape-time sources and their failures), and the multiprocess files of a node."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from prometheus_client.mmap_dict import MmapedDict, mmap_key

from jejak.core import metrics
from jejak.core.metrics_files import FilesCollector
from jejak.core.tests.metrics_tools import TOKEN, scrape

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(settings):
    settings.JEJAK_METRICS_TOKEN = TOKEN
    settings.JEJAK_METRICS_NETWORKS = []
    for source in metrics._sources.values():
        source.expires = 0.0  # each test reads its own rows
    return TOKEN


def test_metrics_answer_404_when_not_configured(settings):
    settings.JEJAK_METRICS_TOKEN = ""
    settings.JEJAK_METRICS_NETWORKS = []
    response = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer anything")
    assert response.status_code == 404


def test_a_scrape_needs_the_bearer_token(token):
    client = Client()
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer " + TOKEN[:-1] + "x")
    assert wrong.status_code == 401
    assert wrong["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert client.get("/metrics", HTTP_AUTHORIZATION=TOKEN).status_code == 401
    ok = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert ok.status_code == 200
    assert ok["Content-Type"].startswith("text/plain; version=")
    assert "no-cache" in ok["Cache-Control"]


def test_the_networks_allow_list(settings):
    settings.JEJAK_METRICS_TOKEN = ""
    settings.JEJAK_METRICS_NETWORKS = ["10.1.0.0/16", "192.0.2.7"]
    assert Client(REMOTE_ADDR="10.1.200.3").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="192.0.2.7").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="10.2.0.1").get("/metrics").status_code == 404
    # Both set: both needed.
    settings.JEJAK_METRICS_TOKEN = TOKEN
    inside = Client(REMOTE_ADDR="10.1.0.9")
    assert inside.get("/metrics").status_code == 401
    assert inside.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    outside = Client(REMOTE_ADDR="10.2.0.1")
    assert outside.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 404


def test_metrics_are_not_part_of_the_api_document(token):
    document = Client().get("/api/v1/openapi.json").json()
    assert not [path for path in document["paths"] if "metrics" in path]


def test_requests_are_timed_by_route_name_never_by_path(token, client_for, city):
    client = client_for()
    before = scrape()
    for code in ("NOPE-1", "NOPE-2", "NOPE-3"):
        client.get(f"/api/v1/venues/{code}")
    client.get("/no-such-page/")
    after = scrape()

    name = "jejak_http_request_duration_seconds_count"
    labels = {"route": "api:get_venue", "method": "GET", "status_class": "4xx"}
    assert after.value(name, **labels) - before.value(name, **labels) == 3
    assert after.value(name, route="unmatched") - before.value(name, route="unmatched") == 1
    assert "NOPE" not in after.text


def test_a_failing_source_leaves_its_gauges_out_and_the_scrape_answers(token):
    def broken():
        raise RuntimeError("the database is down")

    metrics.register("test_broken", broken, metrics.GaugeSpec("jejak_test_broken", "Broken."))
    metrics.register(
        "test_fine",
        lambda: {"jejak_test_fine": {("a",): 2.0, ("b",): 3.0}},
        metrics.GaugeSpec("jejak_test_fine", "Fine.", ("kind",)),
    )
    try:
        scraped = scrape()
    finally:
        metrics.unregister("test_broken")
        metrics.unregister("test_fine")
    assert scraped.value("jejak_metrics_source_up", source="test_broken") == 0
    assert scraped.value("jejak_metrics_source_up", source="test_fine") == 1
    assert "jejak_test_broken" not in scraped.names()
    assert scraped.value("jejak_test_fine", kind="b") == 3
    assert scraped.value("jejak_metrics_source_up", source="outbox") == 1


def test_a_source_is_read_once_within_its_cache_time(token):
    reads = []

    def read():
        reads.append(1)
        return {"jejak_test_counted": {(): float(len(reads))}}

    metrics.register("test_counted", read, metrics.GaugeSpec("jejak_test_counted", "Reads."))
    try:
        first, second = scrape(), scrape()
    finally:
        metrics.unregister("test_counted")
    assert len(reads) == 1
    assert first.value("jejak_test_counted") == second.value("jejak_test_counted") == 1


def test_a_gauge_name_belongs_to_one_source(token):
    with pytest.raises(ValueError, match="jejak_outbox_backlog_messages"):
        metrics.register(
            "test_clash",
            dict,
            metrics.GaugeSpec("jejak_outbox_backlog_messages", "Taken.", ("channel", "status")),
        )


def test_task_queues_with_the_database_backend(token, settings):
    from django_tasks_db.models import DBTaskResult

    from jejak.notifications import tasks

    assert "jejak_task_queue_ready" not in scrape().names()  # the inline backend
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "tracing"],
        }
    }
    tasks.send_message.enqueue(1)
    tasks.send_message.enqueue(2)
    assert DBTaskResult.objects.count() == 2
    for source in metrics._sources.values():
        source.expires = 0.0
    scraped = scrape()
    assert scraped.value("jejak_task_queue_ready", backend="default", queue="default") == 2
    assert scraped.value("jejak_task_queue_ready", backend="default", queue="tracing") == 0
    assert scraped.value("jejak_task_queue_oldest_ready_seconds", queue="default") >= 0
    assert "jejak_task_queue_oldest_ready_seconds" in scraped.names()


# --- Multiprocess files ---------------------------------------------------------------


def _counter_file(folder: Path, pid: int, value: float, route: str = "healthz") -> None:
    key = mmap_key(
        "jejak_test_requests", "jejak_test_requests_total", ["route"], [route], "Requests."
    )
    out = MmapedDict(str(folder / f"counter_{pid}.db"))
    out.write_value(key, value, 0.0)
    out.close()


def _exited_pid() -> int:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], check=True, capture_output=True
    )
    return int(child.stdout)


def _total(folder: Path) -> float:
    families = FilesCollector(folder).collect()
    return sum(
        sample.value
        for family in families
        for sample in family.samples
        if sample.name == "jejak_test_requests_total"
    )


def test_a_scrape_adds_up_every_process_and_folds_the_exited_ones(tmp_path):
    dead = _exited_pid()
    _counter_file(tmp_path, os.getpid(), 5)
    _counter_file(tmp_path, dead, 7)
    _counter_file(tmp_path, dead + 1_000_000, 1, route="static")  # no such pid either

    assert _total(tmp_path) == 13
    files = {file.name for file in tmp_path.glob("*.db")}
    assert files == {"counter_archive.db", f"counter_{os.getpid()}.db"}
    # Folded once: the next scrape counts the same, and a later exit adds up.
    assert _total(tmp_path) == 13
    _counter_file(tmp_path, dead, 2)
    assert _total(tmp_path) == 15


def test_multiprocess_scrape_text_has_each_family_once(tmp_path, token, monkeypatch):
    _counter_file(tmp_path, os.getpid(), 4)
    _counter_file(tmp_path, _exited_pid(), 1)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    scraped = scrape()
    assert scraped.value("jejak_test_requests_total", route="healthz") == 5
    assert scraped.text.count("# TYPE jejak_test_requests") == 1
    assert scraped.value("jejak_metrics_source_up", source="outbox") == 1
