"""`make run`'s processes, as the Procfile starts them with honcho: the server, a task
worker per queue and the periodic runner, with the database task backend that `make run`
sets. An SMS gateway that does not answer never reaches a request: the sign-in code's
request answers while the gateway holds the worker's send, and the code it then
delivers signs in."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import jejak
from jejak.core.tests.serving import BIN, START_SECONDS, fetch, free_port, server_env
from jejak.core.tests.tools import missing

ROOT = Path(jejak.__file__).resolve().parents[2]
PROCESSES = ("web", "worker", "tracing", "periodic")
PHONE = "+6281234567890"


@dataclass
class Gateway:
    """An SMS gateway that takes each message and answers only once `answer` is set."""

    url: str = ""
    answer: threading.Event = field(default_factory=threading.Event)
    received: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    held = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            held.received.append(json.loads(self.rfile.read(length)))
            held.answer.wait(timeout=60)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    held.url = f"http://127.0.0.1:{server.server_address[1]}/send"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield held
    finally:
        held.answer.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def honcho(shared_database: str, gateway: Gateway, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`honcho start` on the repository's Procfile, with `make run`'s environment: (the
    server's base URL, honcho's output)."""
    if not (ROOT / ".venv" / "bin" / "jejak").exists():
        missing("the Procfile runs .venv/bin/jejak: `make setup` first")
    (tmp_path / "var").mkdir()
    port = free_port()
    env = server_env(
        tmp_path / "var",
        DATABASE_URL=shared_database,
        HOST="127.0.0.1",
        # What `make run` adds (Makefile).
        JEJAK_TASK_BACKEND="django_tasks_db.DatabaseBackend",
        JEJAK_SMS_BACKEND="http",
        JEJAK_SMS_HTTP_URL=gateway.url,
        # Longer than the test waits for an answer: a send inside the request would
        # make the request time out.
        JEJAK_SMS_HTTP_TIMEOUT="60",
        JEJAK_SMS_HTTP_RETRIES="0",
    )
    output = tmp_path / "honcho.log"
    command = [str(BIN / "honcho"), "start", "--port", str(port), "--procfile", "Procfile"]
    with output.open("wb") as log:
        # A session of its own: if honcho does not stop its processes, the test does.
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                if fetch(base + "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"make run's processes did not start:\n{output.read_text()}")
            time.sleep(0.1)
        yield base, output
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def test_make_runs_processes_keep_a_slow_sms_gateway_out_of_requests(honcho, gateway, settings):
    base, output = honcho
    json_post = {"Content-Type": "application/json"}
    started = time.monotonic()
    status, _ = fetch(
        base + "/api/v1/auth/otp", data=json.dumps({"phone": PHONE}).encode(), headers=json_post
    )
    answered = time.monotonic() - started
    assert status == 202
    assert not gateway.answer.is_set()  # the gateway has answered nothing yet

    deadline = time.monotonic() + 30
    while not gateway.received:  # the worker's send, held by the gateway
        assert time.monotonic() < deadline, output.read_text()
        time.sleep(0.05)
    gateway.answer.set()
    [message] = gateway.received
    code = re.search(r"\b(\d{6})\b", message["text"])
    assert message["to"] == PHONE and code is not None
    body = {
        "phone": PHONE,
        "code": code[1],
        "privacy_notice_version": settings.JEJAK_PRIVACY_NOTICE_VERSION,
    }
    status, answer = fetch(
        base + "/api/v1/auth/verify", data=json.dumps(body).encode(), headers=json_post
    )
    assert status == 200, answer

    log = output.read_text()
    for name in PROCESSES:  # honcho's own lines: each started, none has ended
        assert re.search(rf"system +\| {name}\.1 started", log), log
    assert not re.search(r"system +\| \w+\.1 (stopped|exited)", log), log
    print(f"the sign-in code's request answered in {answered:.2f} s, the gateway holding")
