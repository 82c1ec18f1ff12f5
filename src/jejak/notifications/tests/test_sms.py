"""SMS backends: console, one file per message, and an HTTP gateway with timeout and retries."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command

from jejak.accounts import otp
from jejak.notifications import sms
from jejak.notifications.sms import read_last_code, read_messages, send_sms

PHONE = "+6281234567890"
TEXT = "Kode Jejak Anda: 123456. Berlaku 5 menit. Jangan berikan kepada siapa pun."


class Gateway:
    """A loopback HTTP server answering each POST with the next status from `script`."""

    def __init__(self, script: list[int], delay: float = 0) -> None:
        self.script = list(script)
        self.delay = delay
        self.received: list[tuple[dict, dict]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                body = json.loads(self.rfile.read(length))
                gateway.received.append((body, dict(self.headers)))
                time.sleep(gateway.delay)
                status = gateway.script.pop(0) if gateway.script else 200
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b"{}")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and hung up, as the slow-gateway test wants

            def log_message(self, *args: object) -> None:
                pass

        # Loopback only: the test never listens on a public interface.
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> Gateway:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def http_backend(settings, monkeypatch):
    settings.JEJAK_SMS_BACKEND = "http"
    settings.JEJAK_SMS_HTTP_TOKEN = "gateway-secret"
    settings.JEJAK_SMS_HTTP_TIMEOUT = 5
    settings.JEJAK_SMS_HTTP_RETRIES = 2
    monkeypatch.setattr(sms, "BACKOFF_SECONDS", 0.01)
    return settings


@pytest.fixture
def gateway(http_backend) -> Iterator[type[Gateway]]:
    def start(script: list[int], delay: float = 0) -> Gateway:
        gateway = Gateway(script, delay)
        http_backend.JEJAK_SMS_HTTP_URL = gateway.url
        started.append(gateway.__enter__())
        return gateway

    started: list[Gateway] = []
    yield start  # type: ignore[misc]
    for gateway in started:
        gateway.__exit__()


def test_console_prints_the_message(settings, capsys):
    settings.JEJAK_SMS_BACKEND = "console"
    assert send_sms(PHONE, TEXT) is True
    assert f"to {PHONE}: {TEXT}" in capsys.readouterr().out


def test_file_backend_writes_one_file_per_message(sms_outbox):
    assert send_sms(PHONE, TEXT)
    assert send_sms(PHONE, TEXT.replace("123456", "654321"))
    files = sorted(sms_outbox.iterdir())
    assert len(files) == 2
    name = files[0].name
    assert name.endswith(".txt")
    assert "-7890-" in name
    assert name[:8].isdigit()  # a UTC timestamp first, so name order is sending order
    assert files[0].read_text() == f"To: {PHONE}\n\n{TEXT}\n"


def test_the_reader_finds_the_latest_code_for_any_spelling(sms_outbox):
    send_sms(PHONE, TEXT)
    send_sms("+6285700001111", TEXT.replace("123456", "111111"))
    send_sms(PHONE, TEXT.replace("123456", "222222"))
    assert read_last_code(sms_outbox, "0812-3456-7890") == "222222"
    assert read_last_code(sms_outbox, "085700001111") == "111111"
    assert read_last_code(sms_outbox, "089900002222") is None
    assert [m.to for m in read_messages(sms_outbox)] == [PHONE, "+6285700001111", PHONE]
    assert read_last_code(sms_outbox.parent / "nowhere", PHONE) is None


def test_http_posts_json_with_the_bearer_token(gateway):
    server = gateway([200])
    assert send_sms(PHONE, TEXT) is True
    [(body, headers)] = server.received
    assert body == {"to": PHONE, "text": TEXT}
    assert headers["Authorization"] == "Bearer gateway-secret"
    assert headers["Content-Type"] == "application/json"


def test_http_retries_a_failing_gateway(gateway):
    server = gateway([503, 500, 202])
    assert send_sms(PHONE, TEXT) is True
    assert len(server.received) == 3


def test_http_gives_up_after_the_retries_and_logs_an_error(gateway, caplog):
    server = gateway([500, 502, 503, 500])
    with caplog.at_level(logging.WARNING, logger="jejak.notifications.sms"):
        assert send_sms(PHONE, TEXT) is False
    assert len(server.received) == 3  # one try and JEJAK_SMS_HTTP_RETRIES (2) retries
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "…7890" in errors[0].getMessage()
    # Neither the number nor the code ends up in the logs.
    assert PHONE not in caplog.text
    assert "123456" not in caplog.text


def test_http_does_not_retry_a_refused_request(gateway):
    server = gateway([400, 200])
    assert send_sms(PHONE, TEXT) is False
    assert len(server.received) == 1


def test_http_gives_up_on_a_gateway_that_is_too_slow(gateway, settings):
    settings.JEJAK_SMS_HTTP_TIMEOUT = 1
    settings.JEJAK_SMS_HTTP_RETRIES = 0
    server = gateway([200], delay=1.5)
    assert send_sms(PHONE, TEXT) is False
    assert len(server.received) == 1


def test_http_retries_when_nothing_listens(http_backend):
    closed = Gateway([])  # bound, never started, then closed: the port refuses connections
    closed.server.server_close()
    http_backend.JEJAK_SMS_HTTP_URL = closed.url
    assert send_sms(PHONE, TEXT) is False


def test_a_non_http_url_is_never_opened(http_backend, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("x")
    http_backend.JEJAK_SMS_HTTP_URL = f"file://{secret}"
    assert send_sms(PHONE, TEXT) is False


def test_an_unknown_backend_sends_nothing_and_says_so(settings, caplog):
    settings.JEJAK_SMS_BACKEND = "pigeon"
    assert send_sms(PHONE, TEXT) is False
    assert "pigeon" in caplog.text


def test_a_gateway_outage_does_not_fail_the_code_request(
    db, gateway, django_capture_on_commit_callbacks
):
    server = gateway([500, 500, 500])
    with django_capture_on_commit_callbacks(execute=True):
        otp.request_code(phone=PHONE, client_ip="203.0.113.7")
    assert len(server.received) == 3


@pytest.mark.parametrize(
    ("backend", "url", "problem"),
    [
        ("pigeon", "", "jejak.notifications.E001"),
        ("http", "", "jejak.notifications.E002"),
        ("http", "https://sms.example/send", None),
        ("file", "", None),
    ],
)
def test_system_check_catches_a_broken_sms_setting(settings, capsys, backend, url, problem):
    settings.JEJAK_SMS_BACKEND = backend
    settings.JEJAK_SMS_HTTP_URL = url
    if problem is None:
        call_command("check")
        return
    with pytest.raises(Exception, match=problem):
        call_command("check")
