"""`make run`'s path end to end: migrate, load the demo, collect static files, and serve
with gunicorn on a loopback port; then fetch pages as a browser would."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback only)
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {"JEJAK_VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "jejak.settings"}
    jejak = shutil.which("jejak", path=str(BIN)) or "jejak"
    for args in (
        ["migrate", "--noinput", "-v0"],
        ["demo", "--if-empty"],
        ["collectstatic", "--noinput", "-v0"],
    ):
        subprocess.run([jejak, *args], env=env, check=True, capture_output=True, timeout=300)
    port = _free_port()
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "jejak.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            _get(base + "/login/")
            break
        except OSError:
            time.sleep(0.1)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


def test_login_page_is_served(server):
    status, body = _get(server + "/login/")
    assert status == 200
    assert b"Masuk" in body


def test_static_files_are_served(server):
    status, body = _get(server + "/login/")
    css = body.split(b'rel="stylesheet" href="/static/')[1].split(b'"')[0].decode()
    status, body = _get(f"{server}/static/{css}")
    assert status == 200 and b"--accent" in body


def test_openapi_and_keys_are_served(server):
    status, body = _get(server + "/api/v1/openapi.json")
    assert status == 200 and b"/api/v1/rollout" in body
    status, body = _get(server + "/.well-known/jejak-keys.json")
    assert status == 200 and b"Ed25519" in body


def test_protected_pages_redirect_to_login(server):
    status, body = _get(server + "/rollout/")
    assert status == 200 and b"Masuk" in body  # urllib followed the redirect to /login/
