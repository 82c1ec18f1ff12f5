"""Several app nodes behind the repository's nginx file (deploy/nginx/jejak.conf).

Two `jejak serve` processes (one worker each) stand for two app hosts on two loopback
ports, with one database and no Redis, and nginx runs the repository's site in front of
them (nginx_site.py). Through nginx: check-ins and page views land on both nodes (the
access log's `upstream=` names the node), a staff session signed in on one node is valid
on the other, a Satpol PP closure recorded through one node refuses check-ins on both
within 2 s and its lifting admits again, and a node stopped with SIGTERM in the middle of
a stream of check-ins and page views costs no failed request: it finishes what it holds,
and nginx sends the rest, check-ins included (idempotent by their nonce), to the other.
"""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import json
import re
import signal
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from jejak.core.tests.nginx_site import TEMPLATE, nginx, site_for_test
from jejak.core.tests.served_world import (
    WITHIN,
    Phone,
    World,
    build_world,
    entered,
    refused,
)
from jejak.core.tests.serving import served_many, server_env
from jejak.core.tests.tools import require_tool

PASSWORD = "nodes-test-password"
_LINE = re.compile(
    r'"(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d+) .*"(?P<agent>[^"]*)" '
    r"rid=(?P<rid>\S+) upstream=(?P<upstream>.+?) ustatus="
)


@dataclass
class Cluster:
    world: World
    proxy: str  # nginx's base URL
    access_log: Path
    nodes: list[tuple[str, Any]]  # (base URL, gunicorn master's Popen) per node
    visitors: list[str]  # API tokens of green visitors, one per stream thread
    officer_token: str
    manager: str  # a venue manager's username (password sign-in, no second factor)

    def node(self, base: str) -> str:
        return base.removeprefix("http://")

    def log(self, agent: str) -> list[dict[str, str]]:
        """nginx's access log lines of requests sent with this User-Agent."""
        lines = (_LINE.search(line) for line in self.access_log.read_text().splitlines())
        return [m.groupdict() for m in lines if m is not None and m["agent"] == agent]


def add_people(world: World, visitors: int) -> tuple[list[str], str, str]:
    """Green visitors' API tokens, the officer's API token and a manager of the venue."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from jejak.accounts.models import ApiToken
    from jejak.accounts.roles import Role
    from jejak.accounts.tests.factories import UserFactory
    from jejak.screening.tests.factories import dose, make_person

    tokens = []
    for serial in range(2, 2 + visitors):  # build_world's visitor is serial 1
        visitor = UserFactory(role=Role.VISITOR)
        person = make_person(visitor, serial=serial)
        for build in (dose(1), dose(2), dose(3)):
            build(person.nik_index, timezone.now())
        tokens.append(ApiToken.issue(user=visitor, name="nodes")[1])
    officer = ApiToken.issue(user=world.officer, name="nodes")[1]
    # Hashed as the servers hash (the tests' settings use a fast hasher they do not know).
    hasher = PBKDF2PasswordHasher()
    manager = UserFactory(role=Role.VENUE_MANAGER)
    manager.password = hasher.encode(PASSWORD, hasher.salt())
    manager.save(update_fields=["password"])
    manager.venues.add(world.venue)
    return tokens, officer, manager.username


@pytest.fixture
def cluster(shared_database: str, tmp_path: Path) -> Iterator[Cluster]:
    binary = require_tool("nginx", hint="apt-get install nginx-light")
    world = build_world()
    visitors, officer, manager = add_people(world, visitors=3)
    (tmp_path / "var").mkdir()
    env = server_env(
        tmp_path / "var",
        DATABASE_URL=shared_database,
        JEJAK_CHECKINS_PER_MINUTE="100000",  # the phones scan many times a second
        # Pages rendered without collectstatic's manifest (17 s of compressing files).
        DEBUG="true",
    )
    with served_many(env, 2, workers=1) as nodes:
        servers = [base.removeprefix("http://") for base, _ in nodes]
        with nginx(binary, servers=servers, folder=tmp_path / "nginx") as (proxy, log):
            yield Cluster(world, proxy, log, nodes, visitors, officer, manager)


def request(
    url: str,
    *,
    body: dict[str, Any] | None = None,
    token: str = "",
    agent: str,
    opener: urllib.request.OpenerDirector | None = None,
) -> tuple[int, bytes, str]:
    """(status, body, final URL) of a GET, or of a JSON POST when `body` is given."""
    headers = {"User-Agent": agent}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 (loopback)
    try:
        with (opener or urllib.request.build_opener()).open(req, timeout=30) as response:
            return response.status, response.read(), response.geturl()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), url


def check_in(base: str, world: World, token: str, agent: str) -> tuple[int, bytes]:
    body = {"qr": world.qr, "nonce": str(uuid.uuid4()), "people": ["self"]}
    status, answer, _ = request(base + "/api/v1/checkins", body=body, token=token, agent=agent)
    return status, answer


def sign_in(proxy: str, username: str) -> urllib.request.OpenerDirector:
    """A browser's cookie jar after the staff sign-in form, through nginx."""
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    status, page, _ = request(proxy + "/login/", agent="sign-in", opener=browser)
    assert status == 200
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token[1].decode(), "username": username, "password": PASSWORD}
    ).encode()
    req = urllib.request.Request(  # noqa: S310 (loopback)
        proxy + "/login/", data=form, headers={"User-Agent": "sign-in"}
    )
    with browser.open(req, timeout=30) as response:
        page = response.read()
        assert "/login/" not in response.geturl(), re.findall(rb"(?s)<main.*</main>", page)
    assert any(cookie.name == "sessionid" for cookie in jar)
    return browser


def test_the_repository_site_passes_nginx_t(tmp_path: Path) -> None:
    """Only the certificate paths change: the file as shipped is valid nginx."""
    import subprocess

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    binary = require_tool("nginx", hint="apt-get install nginx-light")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jejak.example.go.id")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    site = TEMPLATE.read_text()
    site = site.replace("/etc/ssl/jejak/fullchain.pem", str(tmp_path / "cert.pem"))
    site = site.replace("/etc/ssl/jejak/privkey.pem", str(tmp_path / "key.pem"))
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    config = tmp_path / "nginx.conf"
    config.write_text(
        f"pid {tmp_path}/nginx.pid;\nevents {{}}\nhttp {{\n"
        f"client_body_temp_path {tmp_path}/body;\nproxy_temp_path {tmp_path}/proxy;\n"
        f"{site}}}\n"
    )
    done = subprocess.run(
        [binary, "-t", "-p", str(tmp_path), "-c", str(config), "-e", str(tmp_path / "e.log")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_the_test_site_is_the_repository_site_on_plain_http() -> None:
    site = site_for_test(
        TEMPLATE.read_text(), servers=["127.0.0.1:1", "127.0.0.1:2"], port=3, logs=Path("/l")
    )
    assert "listen 127.0.0.1:3;" in site and "ssl" not in site and "443" not in site
    assert "server 127.0.0.1:1 max_fails=3" in site and "server 127.0.0.1:2 max_fails" in site
    assert "8001" not in site and "least_conn;" in site and "keepalive 32;" in site
    assert "non_idempotent" in site and "proxy_set_header X-Request-ID $request_id;" in site
    assert "access_log /l/access.log jejak;" in site and "log_format jejak" in site


def test_two_nodes_behind_nginx(cluster: Cluster) -> None:
    c = cluster
    a, b = (c.node(base) for base, _ in c.nodes)
    numbers: dict[str, Any] = {}

    # Check-ins and page views through nginx land on both nodes.
    for _ in range(4):
        assert check_in(c.proxy, c.world, c.world.token, "both")[0] == 201
    for _ in range(4):
        assert request(c.proxy + f"/q/{c.world.qr}", agent="both")[0] == 200
    served = Counter((line["method"], line["upstream"]) for line in c.log("both"))
    assert {("POST", a), ("POST", b), ("GET", a), ("GET", b)} <= set(served), served

    # A session signed in through one node is valid on the other.
    browser = sign_in(c.proxy, c.manager)
    console = f"{c.proxy}/tempat/{c.world.venue.short_code}/"
    for _ in range(4):
        status, page, final = request(console, agent="session", opener=browser)
        assert (status, final) == (200, console) and c.world.venue.name.encode() in page
    pages = [line["upstream"] for line in c.log("session") if line["path"].startswith("/tempat/")]
    assert set(pages) == {a, b}, pages

    # A closure recorded through one node refuses on both within 2 s; its lifting admits.
    phones = [Phone(base, c.world) for base, _ in c.nodes]
    for phone in phones:
        assert phone.until(entered, since=time.monotonic()) < WITHIN
    status, plan, _ = request(
        c.proxy + "/api/v1/inspections",
        body={"venue": c.world.venue.short_code, "planned_for": str(timezone.localdate())},
        token=c.officer_token,
        agent="officer",
    )
    assert status == 201, plan
    inspection = json.loads(plan)["id"]
    now = timezone.now()
    status, answer, _ = request(
        f"{c.proxy}/api/v1/inspections/{inspection}/record",
        body={
            "checklist": {item: {"result": "fail"} for item in _checklist()},
            "sanction": "temporary_closure",
            "closure": {
                "starts_at": now.isoformat(),
                "ends_at": (now + dt.timedelta(hours=2)).isoformat(),
            },
        },
        token=c.officer_token,
        agent="officer",
    )
    assert status == 200, answer
    committed = time.monotonic()
    numbers["closure"] = [p.until(refused("venue_closed"), since=committed) for p in phones]
    status, answer, _ = request(
        f"{c.proxy}/api/v1/inspections/{inspection}/closure/lift",
        body={"reason": "nodes test"},
        token=c.officer_token,
        agent="officer",
    )
    assert status == 200, answer
    committed = time.monotonic()
    numbers["lifting"] = [p.until(entered, since=committed) for p in phones]

    # One node stops (SIGTERM, graceful) in the middle of a stream: nothing fails.
    numbers |= stop_one_node_under_load(c, browser, console)
    print(f"nodes behind nginx: {numbers}")


def _checklist() -> list[str]:
    from jejak.inspections.models import ChecklistItem

    return [str(item) for item in ChecklistItem]


def stop_one_node_under_load(
    c: Cluster, browser: urllib.request.OpenerDirector, console: str
) -> dict[str, Any]:
    from jejak.checkins.models import CheckInRequest

    a, b = (c.node(base) for base, _ in c.nodes)
    stopping = c.nodes[1][1]
    done = threading.Event()
    lock = threading.Lock()
    answered: list[float] = []  # when each request was answered, by the test's clock
    failures: list[str] = []
    nonces: list[str] = []

    def phone(token: str) -> None:
        while not done.is_set():
            body = {"qr": c.world.qr, "nonce": str(uuid.uuid4()), "people": ["self"]}
            try:
                status, answer, _ = request(
                    c.proxy + "/api/v1/checkins", body=body, token=token, agent="stream"
                )
            except OSError as exc:
                status, answer = 0, str(exc).encode()
            with lock:
                answered.append(time.monotonic())
                if status == 201:
                    nonces.append(body["nonce"])
                else:
                    failures.append(f"check-in {status}: {answer[:200]!r}")

    def reader() -> None:
        while not done.is_set():
            try:
                status, _, final = request(console, agent="stream", opener=browser)
            except OSError as exc:
                status, final = 0, str(exc)
            with lock:
                answered.append(time.monotonic())
                if (status, final) != (200, console):
                    failures.append(f"page {status} {final}")

    threads = [threading.Thread(target=phone, args=(token,)) for token in c.visitors]
    threads.append(threading.Thread(target=reader))
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 30
        while len(answered) < 20:  # both nodes busy before one is stopped
            assert time.monotonic() < deadline, "the stream did not start"
            time.sleep(0.05)
        stopping.send_signal(signal.SIGTERM)
        asked = time.monotonic()
        stopping.wait(timeout=45)
        stopped = time.monotonic()
        deadline = stopped + 30
        while sum(1 for t in answered if t > stopped) < 30:  # the other node carries on
            assert time.monotonic() < deadline, "no answers after the node stopped"
            time.sleep(0.05)
    finally:
        done.set()
        for thread in threads:
            thread.join(timeout=60)

    lines = c.log("stream")
    assert not failures, failures
    assert {line["upstream"] for line in lines} >= {a, b}
    assert CheckInRequest.objects.filter(nonce__in=nonces).count() == len(nonces)
    return {
        "stream requests": len(lines),
        "answered by the stopped node": sum(line["upstream"] == b for line in lines),
        "tried twice by nginx": sum("," in line["upstream"] for line in lines),
        "seconds for the node to stop": round(stopped - asked, 2),
        "failed": len(failures),
    }
