"""`make run`'s path end to end: migrate, load the demo, collect static files, and serve
jejak.asgi with `jejak serve` (uvicorn) on a loopback port; then fetch pages as a browser would, and
check in as a phone does, through the check-in lane and its thread."""

import http.client
import json
import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from jejak.core.tests.serving import fetch as _get
from jejak.core.tests.serving import jejak, served, server_env


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = server_env(tmp_path_factory.mktemp("var"))
    for args in (
        ["migrate", "--noinput", "-v0"],
        ["demo", "--if-empty"],
        ["collectstatic", "--noinput", "-v0"],
    ):
        jejak(*args, env=env)
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


def test_a_phone_checks_in_through_the_lane(server):
    base, env, _proc = server
    out = jejak("shell", "--no-imports", "-c", _TOKEN_AND_CODE, env=env)
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


def _workers(proc: subprocess.Popen) -> list[int]:
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def _owners(port: int, workers: list[int]) -> Counter:
    """How many established connections to `port` each worker process holds."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        # local address, remote address, state (01: established), ..., inode
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "01":
            inodes.add(fields[9])
    held: Counter = Counter()
    for pid in workers:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                held[pid] += 1
    return held


def test_connections_are_dealt_to_the_processes_in_turn(server):
    base, _env, proc = server
    port = int(base.rsplit(":", 1)[1])
    connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(6)]
    try:
        for connection in connections:  # kept alive, as a proxy's or a phone's are
            connection.request("GET", "/healthz")
            answer = connection.getresponse()
            assert answer.status == 200 and answer.read().strip() == b"ok"
        assert sorted(_owners(port, _workers(proc)).values()) == [3, 3]
    finally:
        for connection in connections:
            connection.close()


def test_a_process_that_dies_is_replaced_and_new_connections_go_to_the_others(server):
    base, _env, proc = server
    time.sleep(max(0.0, 5.5 - (time.monotonic() - _started(proc))))  # past MIN_UPTIME
    first, second = _workers(proc)
    os.kill(first, signal.SIGKILL)  # its own connections are lost with it, as in any crash
    for _ in range(100):
        if not _alive(first):
            break
        time.sleep(0.05)
    for _ in range(10):  # the parent hands no new connection to the dead process
        assert _get(base + "/healthz")[0] == 200
    for _ in range(100):
        if first not in _workers(proc) and len(_workers(proc)) == 2:
            break
        time.sleep(0.1)
    assert second in _workers(proc) and first not in _workers(proc)
    assert len(_workers(proc)) == 2
    assert _get(base + "/healthz")[0] == 200


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _started(proc: subprocess.Popen) -> float:
    """When the server's newest process started, on the monotonic clock."""
    ticks = os.sysconf("SC_CLK_TCK")
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    newest = max(
        int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
        for pid in _workers(proc)
    )
    return time.monotonic() - (uptime - newest / ticks)
