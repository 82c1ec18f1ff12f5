"""`make run`'s path end to end: migrate, load the demo, collect static files, and serve
jejak.asgi with `jejak serve` (uvicorn) on a loopback port; then fetch pages as a browser would, and
check in as a phone does, through the check-in lane and its thread."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, data: bytes | None = None, headers: dict[str, str] | None = None):
    request = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
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
        [jejak, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
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
    yield base, env
    proc.terminate()
    proc.wait(timeout=10)


def test_login_page_is_served(server):
    status, body = _get(server[0] + "/login/")
    assert status == 200
    assert b"Masuk" in body


def test_static_files_are_served(server):
    status, body = _get(server[0] + "/login/")
    css = body.split(b'rel="stylesheet" href="/static/')[1].split(b'"')[0].decode()
    status, body = _get(f"{server[0]}/static/{css}")
    assert status == 200 and b"--accent" in body


def test_openapi_and_keys_are_served(server):
    status, body = _get(server[0] + "/api/v1/openapi.json")
    assert status == 200 and b"/api/v1/rollout" in body
    status, body = _get(server[0] + "/.well-known/jejak-keys.json")
    assert status == 200 and b"Ed25519" in body


def test_protected_pages_redirect_to_login(server):
    status, body = _get(server[0] + "/rollout/")
    assert status == 200 and b"Masuk" in body  # urllib followed the redirect to /login/


_TOKEN_AND_CODE = """
from jejak.accounts.models import ApiToken, User
from jejak.qrcodes.models import CodeStatus, QrCode
user = User.objects.get(username="v-demo1")  # Ahmad Hijau
code = QrCode.objects.filter(status=CodeStatus.ACTIVE, entry_point__venue__status="installed")[0]
print(ApiToken.issue(user=user, name="served test")[1], code.token)
"""


def test_a_phone_checks_in_through_the_lane(server):
    base, env = server
    jejak = shutil.which("jejak", path=str(BIN)) or "jejak"
    out = subprocess.run(
        [jejak, "shell", "--no-imports", "-c", _TOKEN_AND_CODE],
        env=env,
        check=True,
        capture_output=True,
    )
    token, qr = out.stdout.decode().split()[-2:]
    body = json.dumps({"qr": qr, "nonce": str(uuid.uuid4()), "people": ["self"]}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    status, answer = _get(base + "/api/v1/checkins", data=body, headers=headers)
    assert status == 201, answer
    first = json.loads(answer)
    assert first["people"][0]["colour"] == "hijau"
    # A retry of the same request answers the same result, through the lane again.
    status, again = _get(base + "/api/v1/checkins", data=body, headers=headers)
    assert status == 201 and json.loads(again)["people"] == first["people"]
    # What the lane does not answer, Django does, with the API's error shape.
    status, answer = _get(base + "/api/v1/checkins", data=b"{", headers=headers)
    assert status == 400 and json.loads(answer)["code"] == "invalid_json"
