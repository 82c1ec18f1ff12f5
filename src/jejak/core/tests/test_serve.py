"""`jejak serve`: the refusals that come before any process starts (the happy path is
test_served.py's)."""

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
