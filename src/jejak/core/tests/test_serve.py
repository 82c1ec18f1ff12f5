"""`jejak serve`: the refusals that come before it becomes gunicorn (the happy path is
test_served.py's), and the command line it hands to gunicorn."""

import socket

import pytest
from django.core.management import CommandError, call_command


def test_an_address_in_use_is_refused_before_anything_starts():
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        with pytest.raises(CommandError, match=f"cannot listen on 127.0.0.1:{port}"):
            call_command("serve", "--port", str(port), "--workers", "2")
    finally:
        taken.close()


def test_at_least_one_worker():
    with pytest.raises(CommandError, match="--workers must be at least 1"):
        call_command("serve", "--workers", "0")


def test_gunicorn_gets_the_worker_class_bind_and_recycling():
    from jejak.core.management.commands.serve import gunicorn_argv

    argv = gunicorn_argv(
        {
            "host": "::1",
            "port": 8000,
            "workers": 2,
            "forwarded_allow_ips": "10.0.0.5",
            "timeout": 30,
            "graceful_timeout": 30,
            "keep_alive": 5,
            "max_requests": 1000,
            "log_level": "info",
            "no_access_log": True,
        }
    )
    assert argv[0] == "jejak.asgi:application"
    pairs = dict(zip(argv[1::2], argv[2::2], strict=False))
    assert pairs["--worker-class"] == "uvicorn_worker.UvicornWorker"
    assert pairs["--bind"] == "[::1]:8000"
    assert pairs["--forwarded-allow-ips"] == "10.0.0.5"
    assert (pairs["--max-requests"], pairs["--max-requests-jitter"]) == ("1000", "100")
    assert "--access-logfile" not in argv
    assert argv[-1] == "--no-control-socket"
