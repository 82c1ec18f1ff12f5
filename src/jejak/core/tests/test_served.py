"""`make run`'s path end to end: migrate, load the demo, collect static files, and serve
jejak.asgi with `jejak serve` (gunicorn with uvicorn's worker) on a loopback port; then
fetch pages as a browser would, and check in as a phone does, through Django and the
check-in batcher's thread."""

import json
import os
import signal
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from jejak.core.tests.serving import fetch as _get
from jejak.core.tests.serving import jejak, served, server_env


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = server_env(tmp_path_factory.mktemp("var"))
    # collectstatic reads the static folders and writes STATIC_ROOT, never the database:
    # it runs beside migrate and the demo, on the other core, rather than after them
    # (its 8 s of compressing files, more on a busy machine, no longer add to the
    # minute). The same three commands complete before the server starts, as in
    # `make run`; the demo, run before collectstatic there, never needed its manifest.
    with ThreadPoolExecutor(max_workers=1) as pool:
        collected = pool.submit(jejak, "collectstatic", "--noinput", "-v0", env=env)
        for args in (["migrate", "--noinput", "-v0"], ["demo", "--if-empty"]):
            jejak(*args, env=env)
        collected.result()  # its error, if it failed
    with served(env, workers=2, ready="/login/") as (base, proc):
        yield base, env, proc


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


def test_a_phone_checks_in_through_the_server(server):
    base, env, _proc = server
    out = jejak("shell", "--no-imports", "-c", _TOKEN_AND_CODE, env=env)
    token, qr = out.stdout.decode().split()[-2:]
    body = json.dumps({"qr": qr, "nonce": str(uuid.uuid4()), "people": ["self"]}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    status, answer = _get(base + "/api/v1/checkins", data=body, headers=headers)
    assert status == 201, answer
    first = json.loads(answer)
    assert first["people"][0]["colour"] == "hijau"
    # A retry of the same request answers the same result.
    status, again = _get(base + "/api/v1/checkins", data=body, headers=headers)
    assert status == 201 and json.loads(again)["people"] == first["people"]
    # A refusal has the API's error shape.
    status, answer = _get(base + "/api/v1/checkins", data=b"{", headers=headers)
    assert status == 400 and json.loads(answer)["code"] == "invalid_json"


def _workers(proc: subprocess.Popen) -> list[int]:
    """The gunicorn master's children: its worker processes."""
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def _wait_for(condition, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_worker_that_dies_is_replaced_and_the_server_keeps_answering(server):
    base, _env, proc = server
    assert _wait_for(lambda: len(_workers(proc)) == 2)
    first, second = _workers(proc)
    os.kill(first, signal.SIGKILL)  # its own connections are lost with it, as in any crash
    assert _wait_for(lambda: not _alive(first))
    for _ in range(10):  # the workers share the socket: the survivor takes every connection
        assert _get(base + "/healthz")[0] == 200
    # gunicorn's master starts a replacement.
    assert _wait_for(lambda: first not in _workers(proc) and len(_workers(proc)) == 2)
    assert second in _workers(proc)
    assert _get(base + "/healthz")[0] == 200


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")
