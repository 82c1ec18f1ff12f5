"""Fixtures of the sample partner app's tests (examples/partner/): the app in a process of
its own against the live server, registered as an approved public partner."""

from __future__ import annotations

import selectors
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import jejak
from jejak.core.tests.serving import free_port
from jejak.partners.models import PartnerStatus
from jejak.partners.service import do_register, do_set_status
from jejak.visits.tests.conftest import MiniDemo, build_mini_demo

SAMPLE = Path(jejak.__file__).resolve().parents[2] / "examples" / "partner" / "app.py"
START_SECONDS = 60.0  # a loaded two-core machine
STOP_SECONDS = 30


@dataclass
class Sample:
    url: str
    log: Path


@pytest.fixture
def city_hall(transactional_db: None) -> MiniDemo:
    """The demo's city hall with its poster codes, and the demo citizens."""
    return build_mini_demo()


@pytest.fixture
def sample(
    live_server: Any, transactional_db: None, settings: Any, tmp_path: Path
) -> Iterator[Sample]:
    """The sample app on a free loopback port, registered and approved as a public client
    with its http://127.0.0.1 redirect (allowed here as JEJAK_PARTNER_REDIRECT_SCHEMES
    allows it for `make partner-demo`), stopped by its own pid at the end."""
    schemes = ["https", "http"]
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "ALLOWED_REDIRECT_URI_SCHEMES": schemes,
        "ALLOWED_SCHEMES": schemes,
    }
    port = free_port()
    registered = do_register(
        name="Mitra Contoh",
        organisation="PT Contoh",
        contact="engineering@mitra.example",
        redirect_uris=[f"http://127.0.0.1:{port}/callback"],
        allowed_scopes=["checkin"],
        confidential=False,
    )
    do_set_status(partner=registered.partner, status=PartnerStatus.APPROVED)
    log = tmp_path / "sample.log"
    # -E -s: no PYTHONPATH or user site, so the sample runs on its own files and the
    # standard library (this interpreter's Django is there, but it never imports it).
    command = [sys.executable, "-B", "-E", "-s", str(SAMPLE)]
    options = ["--jejak-url", live_server.url, "--client-id", registered.client_id]
    with log.open("wb") as errors:
        proc = subprocess.Popen(
            [*command, *options, "--port", str(port)], stdout=subprocess.PIPE, stderr=errors
        )
    try:
        assert proc.stdout is not None
        # Its one line on stdout, printed once it listens (or EOF if it failed to start).
        with selectors.DefaultSelector() as waiting:
            waiting.register(proc.stdout, selectors.EVENT_READ)
            assert waiting.select(timeout=START_SECONDS), log.read_text()
        ready = proc.stdout.readline()
        assert ready.startswith(b"Mitra Contoh on"), log.read_text()
        yield Sample(url=f"http://127.0.0.1:{port}", log=log)
    finally:
        proc.terminate()
        proc.wait(timeout=STOP_SECONDS)
