"""Fault injection: the database and the cache go away under check-in load.

A CI gate (JEJAK_GATES=1). The test starts a PostgreSQL cluster and a redis-server of its
own, serves Jejak on them with `jejak serve` as it ships, and has phones check in
(~12 a second, several accounts, bearer tokens, a fresh nonce per check-in). Each phone
sends a failed check-in again with the same nonce until it succeeds, as the app does.
Meanwhile PostgreSQL is stopped (`pg_ctl stop -m fast`) for 8.5 s and started again,
then redis-server is stopped (SIGTERM) for as long and started again on the same port.
A venue manager's console polls the live view (which reads the Redis cache) and a
monitor polls /healthz throughout.

What must hold:
- no check-in lost or stored twice: every nonce that got a 201 is stored exactly once,
  with the check-in its answer named, and nothing else is stored;
- no HTML and no 500: every answer other than a 2xx is the API's JSON {code, message};
  during the database outage the API answers 503 `service_unavailable` with Retry-After;
- every answer within 5 s, and no refused or dropped connection (the server stays up);
- the Redis outage answers no 5xx at all (Redis only caches);
- check-ins succeed again after each outage, without restarting the server.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from jejak.core.tests.faults import PostgresCluster, RedisServer
from jejak.core.tests.serving import jejak, served, server_env

pytestmark = pytest.mark.gate

PHONES = 8
SCAN_EVERY = 0.6  # seconds between one phone's check-ins: about 12 a second in all
POLL_EVERY = 0.5  # the console's and the monitor's polls
OUTAGE = 8.5  # seconds each service stays down
WARM_UP = 2.0  # seconds of load before the first outage
RECOVERY = 3.0  # seconds of load after each recovery
ANSWER_WITHIN = 5.0  # every answer, a new worker's first ones included
CLIENT_TIMEOUT = 10.0  # beyond ANSWER_WITHIN, so that a slow answer is seen as slow
RECOVERED_WITHIN = 15.0  # seconds from a service's return to the next stored check-in
GRACE = 3.0  # after PostgreSQL is back, connections broken by its stop may still fail
FINISH_WITHIN = 30.0  # for the phones' last check-ins once the load stops

# Run by `jejak shell` on the fresh database. The tables come from the models, as
# pytest-django's --nomigrations makes them (the suite runs the migrations themselves):
# on a busy two-core machine `migrate` took 30 to 80 s, most of it rendering historical
# model states, and the gate has two minutes. Then the reference data of the migrations
# that a check-in reads (sectors, PPKM rules, rule sets), and the least a check-in needs:
# two installed venues with live codes at PPKM level 2, green visitors with bearer
# tokens; and a venue manager whose console polls the live view.
SEED = """
import importlib
import json
from django.apps import apps
from django.core.management import call_command
from django.test.utils import override_settings
unmigrated = {config.label: None for config in apps.get_app_configs()}
with override_settings(MIGRATION_MODULES=unmigrated):
    call_command("migrate", run_syncdb=True, interactive=False, verbosity=0)
from jejak.ppkm.seed import ensure_rules
from jejak.sectors.reference import ensure_sectors
ensure_sectors(apps.get_model("sectors", "Sector"))
ensure_rules(apps.get_model("sectors", "Sector"), apps.get_model("ppkm", "SectorRule"))
importlib.import_module("jejak.screening.migrations.0003_load_rule_sets").load(apps, None)
from django.utils import timezone
from jejak.accounts.models import ApiToken
from jejak.accounts.roles import Role
from jejak.accounts.tests.factories import UserFactory
from jejak.ppkm import service as ppkm
from jejak.ppkm.models import SectorRule
from jejak.qrcodes.models import CodeStatus, QrCode
from jejak.regions.tests.factories import city_with_districts
from jejak.screening.tests.factories import dose, make_person
from jejak.sectors.models import Sector
from jejak.venues.tests.factories import VenueFactory
from jejak.venues.workflow import do_transition

city = city_with_districts()
hotel = Sector.objects.get(slug="hotel")
venues = [VenueFactory(region=city.children.first(), sector=hotel) for _ in range(2)]
codes = []
for venue in venues:
    for action in ("submit", "approve", "issue"):
        do_transition(venue=venue, action=action, actor=None)
    codes.append(QrCode.objects.get(entry_point__venue=venue, status=CodeStatus.ACTIVE).token)
plain = dict(
    capacity_percent=100, capacity_max_people=None, guest_colours=["hijau", "kuning"],
    employee_colours=["hijau", "kuning", "merah"], staff_check_colours=["kuning"],
    opens_at=None, closes_at=None, max_stay_minutes=None, children_rule="allowed",
    children_age_below=12,
)
rule = SectorRule.objects.filter(level=2, sector=hotel).first()
if rule is None:
    ppkm.create_sector_rule(level=2, sector=hotel, actor=None, **plain)
else:
    ppkm.update_sector_rule(rule=rule, actor=None, **plain)
ppkm.assign_level(
    region=city, level=2, effective_from=timezone.localdate(), actor=None, reason="faults"
)
tokens = []
for i in range(%d):  # the phones
    visitor = UserFactory(role=Role.VISITOR, password=None)  # unusable: nothing to hash
    person = make_person(visitor, serial=i + 1)
    for build in (dose(1), dose(2), dose(3)):
        build(person.nik_index, timezone.now())
    tokens.append(ApiToken.issue(user=visitor, name="faults")[1])
manager = UserFactory(role=Role.VENUE_MANAGER, password=None)
manager.venues.set(venues)
console = ApiToken.issue(user=manager, name="faults console")[1]
print(json.dumps({
    "codes": codes, "tokens": tokens, "venue": venues[0].short_code, "console": console,
}))
"""


@dataclass
class Answer:
    """One HTTP exchange as the client saw it."""

    what: str  # "checkin", "console", "healthz"
    sent: float  # monotonic
    seconds: float
    status: int | None  # None: no answer (timeout, refused, reset)
    error: str = ""
    content_type: str = ""
    retry_after: str = ""
    body: bytes = b""

    @property
    def received(self) -> float:
        return self.sent + self.seconds

    def json(self) -> Any:
        return json.loads(self.body)


def exchange(
    what: str, url: str, data: bytes | None = None, headers: dict[str, str] | None = None
) -> Answer:
    request = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310
    sent = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=CLIENT_TIMEOUT) as response:  # noqa: S310
            status, head, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        status, head, body = exc.code, exc.headers, exc.read()
    except (OSError, urllib.error.URLError) as exc:  # timeout, refused, reset
        return Answer(what, sent, time.monotonic() - sent, None, error=repr(exc))
    return Answer(
        what,
        sent,
        time.monotonic() - sent,
        status,
        content_type=head.get("Content-Type", ""),
        retry_after=head.get("Retry-After", ""),
        body=body,
    )


@dataclass
class Load:
    """The phones, the console and the monitor, and every answer they got."""

    base: str
    codes: list[str]
    tokens: list[str]
    venue: str
    console_token: str
    answers: list[Answer] = field(default_factory=list)
    stored: dict[str, str] = field(default_factory=dict)  # nonce -> check-in named by the 201
    stored_at: list[float] = field(default_factory=list)  # when each 201 arrived
    unfinished: list[str] = field(default_factory=list)  # nonces never answered 201
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, answer: Answer) -> None:
        with self.lock:
            self.answers.append(answer)

    def phone(self, n: int) -> None:
        headers = {"Authorization": f"Bearer {self.tokens[n]}", "Content-Type": "application/json"}
        scans = 0
        while not self.stop.is_set():
            # Alternate between the two venues: each scan is a check-in (closing the stay
            # at the other), never a rescan, so each request stores one check-in row.
            nonce = str(uuid.uuid4())
            qr = self.codes[(n + scans) % len(self.codes)]
            body = json.dumps({"qr": qr, "nonce": nonce, "people": ["self"]}).encode()
            scans += 1
            deadline = None
            while True:
                answer = exchange("checkin", self.base + "/api/v1/checkins", body, headers)
                self.note(answer)
                if answer.status == 201:
                    with self.lock:
                        self.stored[nonce] = answer.json()["people"][0]["checkin"]
                        self.stored_at.append(answer.received)
                    break
                if self.stop.is_set():
                    deadline = deadline or time.monotonic() + FINISH_WITHIN
                    if time.monotonic() > deadline:
                        with self.lock:
                            self.unfinished.append(nonce)
                        return
                # The same nonce again, after the wait the server asked for.
                time.sleep(_wait(answer))
            time.sleep(SCAN_EVERY)

    def console(self) -> None:
        url = f"{self.base}/api/v1/console/venues/{self.venue}/live"
        headers = {"Authorization": f"Bearer {self.console_token}"}
        while not self.stop.is_set():
            self.note(exchange("console", url, headers=headers))
            time.sleep(POLL_EVERY)

    def monitor(self) -> None:
        while not self.stop.is_set():
            self.note(exchange("healthz", self.base + "/healthz"))
            time.sleep(POLL_EVERY)

    @property
    def successes(self) -> int:
        with self.lock:
            return len(self.stored)

    def stored_since(self, moment: float) -> int:
        with self.lock:
            return sum(1 for at in self.stored_at if at > moment)


def _wait(answer: Answer) -> float:
    try:
        return min(max(float(answer.retry_after), 0.2), 5.0)
    except ValueError:
        return 1.0


def _wait_for(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@dataclass
class Timeline:
    """Monotonic moments of the run."""

    began: float  # before initdb
    cluster: float  # PostgreSQL and Redis answer
    served: float = 0.0  # the server answers
    seeded: float = 0.0  # tables made and seeded
    warm: float = 0.0  # every phone has checked in once
    pg_down: float = 0.0  # pg_ctl stop asked
    pg_up: float = 0.0  # pg_ctl start returned
    redis_down: float = 0.0  # SIGTERM sent
    redis_up: float = 0.0  # answering again
    stopped: float = 0.0  # the load told to stop
    checked: float = 0.0  # the rows read back


@dataclass
class Stack:
    """What the test runs on: its folder, its PostgreSQL cluster and its redis-server."""

    folder: Path
    postgres: PostgresCluster
    redis: RedisServer
    began: float  # monotonic, before the cluster's initdb


@pytest.fixture
def stack() -> Iterator[Stack]:
    """A PostgreSQL cluster and a redis-server of the test's own, under a temporary
    folder (not pytest's tmp_path: the socket's path must stay short); each stopped and
    the folder removed afterwards, whatever happened."""
    began = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="jejak-faults-"))
    try:
        postgres = PostgresCluster(folder)
        redis = RedisServer(folder)
        postgres.init()
        try:
            postgres.start()
            try:
                redis.start()
                yield Stack(folder, postgres, redis, began)
            finally:
                redis.stop()
        finally:
            if postgres.running():
                postgres.stop("immediate")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_outages_of_the_database_and_redis_lose_nothing_and_answer_json(stack: Stack) -> None:
    try:
        outages(stack)
    except BaseException:
        print(_logs(stack.folder))
        raise


def outages(stack: Stack) -> None:
    postgres, redis = stack.postgres, stack.redis
    postgres.psql("CREATE DATABASE jejak")
    var = stack.folder / "var"
    var.mkdir()
    env = server_env(
        var,
        DATABASE_URL=postgres.url("jejak"),
        REDIS_URL=redis.url,
        JEJAK_CHECKINS_PER_MINUTE="100000",  # phones retry, and the point is the outage
    )
    when = Timeline(began=stack.began, cluster=time.monotonic())
    # Tables made and seeded in one process while the server starts: on a busy machine
    # each start of Django takes many seconds.
    with ThreadPoolExecutor(1) as pool:
        seeding = pool.submit(_seed, env)
        with served(env, workers=2) as (base, server):
            when.served = time.monotonic()
            world, when.seeded = seeding.result()
            load = Load(base, world["codes"], world["tokens"], world["venue"], world["console"])
            threads = [threading.Thread(target=load.phone, args=(n,)) for n in range(PHONES)]
            threads += [
                threading.Thread(target=load.console),
                threading.Thread(target=load.monitor),
            ]
            try:
                for thread in threads:
                    thread.start()
                assert _wait_for(lambda: load.successes >= PHONES, 60), "no check-ins at all"
                when.warm = time.monotonic()
                time.sleep(WARM_UP)

                when.pg_down = time.monotonic()
                postgres.stop("fast")
                time.sleep(OUTAGE)
                postgres.start()
                when.pg_up = time.monotonic()
                assert _wait_for(lambda: load.stored_since(when.pg_up) > 0, RECOVERED_WITHIN), (
                    "no check-in stored after PostgreSQL came back"
                )
                time.sleep(RECOVERY)

                when.redis_down = time.monotonic()
                redis.stop()
                time.sleep(OUTAGE)
                redis.start()
                when.redis_up = time.monotonic()
                assert _wait_for(lambda: load.stored_since(when.redis_up) > 0, RECOVERED_WITHIN), (
                    "no check-in stored after Redis came back"
                )
                time.sleep(RECOVERY)
            finally:
                load.stop.set()
                when.stopped = time.monotonic()
                for thread in threads:
                    thread.join(FINISH_WITHIN + 2 * CLIENT_TIMEOUT)
            assert server.poll() is None, "the server exited"

    rows = postgres.psql(
        "SELECT r.nonce, c.public_id FROM checkins_checkinrequest r "
        "LEFT JOIN checkins_checkin c ON c.request_id = r.id",
        "jejak",
    )
    pairs = [line.split("|") for line in rows.splitlines() if line]
    in_db = Counter(nonce for nonce, _public_id in pairs)
    named = dict(pairs)
    when.checked = time.monotonic()
    print(_summary(load, when))

    # Nothing lost, nothing twice, nothing stored that was never answered.
    assert not load.unfinished, f"check-ins never stored: {load.unfinished}"
    assert [n for n in load.stored if in_db[n] == 0] == [], "lost"
    assert [n for n, count in in_db.items() if count > 1] == [], "stored twice"
    assert set(in_db) == set(load.stored), "stored but never answered 201"
    assert {n: named[n] for n in load.stored} == load.stored, "a 201 named another check-in"

    answers = load.answers
    # The server stayed up and answered everything, each within 5 s.
    unanswered = [a for a in answers if a.status is None]
    assert unanswered == [], f"no answer: {_brief(unanswered)}"
    slow = [a for a in answers if a.seconds > ANSWER_WITHIN]
    assert slow == [], f"answers slower than {ANSWER_WITHIN} s: {_brief(slow)}"
    # No HTML and no 500 from the API: {code, message} JSON, 503 with Retry-After.
    api = [a for a in answers if a.what != "healthz"]
    failed = [a for a in api if not 200 <= (a.status or 0) < 300]
    assert [a for a in failed if not _api_error(a)] == [], f"not JSON: {_brief(failed)}"
    assert [a for a in failed if a.status != 503] == [], f"unexpected: {_brief(failed)}"
    assert all(a.json()["code"] == "service_unavailable" and a.retry_after for a in failed), (
        "a 503 without its code or Retry-After"
    )
    # 5xx only while PostgreSQL was down (and from connections its stop broke).
    outside = [
        a
        for a in answers
        if (a.status or 0) >= 500 and not _during(a, when.pg_down, when.pg_up + GRACE)
    ]
    assert outside == [], f"5xx outside the database outage: {_brief(outside)}"
    redis_window = [a for a in answers if _during(a, when.redis_down, when.redis_up)]
    assert [a for a in redis_window if (a.status or 0) >= 500] == []
    # The outages happened as far as the server could tell, and were served through.
    in_pg_outage = [a for a in answers if _during(a, when.pg_down, when.pg_up)]
    assert any(a.status == 503 for a in in_pg_outage if a.what == "checkin")
    assert any(b"redis unavailable" in a.body for a in redis_window if a.what == "healthz")
    assert any(a.status == 201 for a in redis_window if a.what == "checkin")
    assert any(a.status == 200 for a in redis_window if a.what == "console")


def _seed(env: dict[str, str]) -> tuple[dict[str, Any], float]:
    """What SEED made (codes, tokens ...), and when it was done."""
    out = jejak("shell", "--no-imports", "-c", SEED % PHONES, env=env).stdout.decode()
    return json.loads(out.strip().splitlines()[-1]), time.monotonic()


def _logs(folder: Path) -> str:
    """The end of what the server and PostgreSQL logged: for a failure."""
    parts = []
    for log in sorted(folder.glob("var/serve-*.log")):
        parts.append(f"== {log.name}, last 80 lines")
        parts += log.read_text(errors="replace").splitlines()[-80:]
    log = folder / "postgres.log"
    if log.exists():
        parts.append(f"== {log.name}, last 40 lines")
        parts += log.read_text(errors="replace").splitlines()[-40:]
    return "\n".join(parts)


def _during(answer: Answer, start: float, end: float) -> bool:
    return answer.sent < end and answer.received > start


def _api_error(answer: Answer) -> bool:
    if not answer.content_type.startswith("application/json"):
        return False
    try:
        body = answer.json()
    except ValueError:
        return False
    return isinstance(body, dict) and {"code", "message"} <= set(body)


def _brief(answers: list[Answer]) -> list[str]:
    return [f"{a.what} {a.status} {a.seconds:.2f}s {a.body[:120]!r}{a.error}" for a in answers[:5]]


def _summary(load: Load, when: Timeline) -> str:
    lines = [
        f"fault outages: {when.checked - when.began:.1f} s in all: PostgreSQL and Redis "
        f"{when.cluster - when.began:.1f} s, server start {when.served - when.cluster:.1f} s "
        f"beside tables and seed {when.seeded - when.cluster:.1f} s, "
        f"load {when.stopped - max(when.served, when.seeded):.1f} s (PostgreSQL down "
        f"{when.pg_up - when.pg_down:.1f} s, Redis down {when.redis_up - when.redis_down:.1f} s)"
    ]
    for what in ("checkin", "console", "healthz"):
        mine = [a for a in load.answers if a.what == what]
        if not mine:
            continue
        statuses = Counter(str(a.status or "none") for a in mine)
        histogram = ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items()))
        worst = max(a.seconds for a in mine)
        lines.append(f"  {what}: {len(mine)} requests ({histogram}), max latency {worst:.2f} s")
    outages = (when.pg_up - when.pg_down) + (when.redis_up - when.redis_down)
    up = when.stopped - when.warm - (when.pg_up - when.pg_down)
    between = load.stored_since(when.warm) / up if up > 0 else 0.0
    retried = sum(1 for a in load.answers if a.what == "checkin" and a.status != 201)
    lines.append(
        f"  check-ins stored: {len(load.stored)}, {between:.1f}/s while PostgreSQL was up; "
        f"{retried} failed attempts retried with their nonce; {outages:.1f} s of outages"
    )
    slowest = sorted(load.answers, key=lambda a: -a.seconds)[:3]
    lines += [
        f"  slowest: {a.what} {a.status} {a.seconds:.2f} s, sent {_phase(a, when)}" for a in slowest
    ]
    return "\n".join(lines)


def _phase(answer: Answer, when: Timeline) -> str:
    moments = [
        (when.pg_down, "PostgreSQL's stop"),
        (when.pg_up, "PostgreSQL's return"),
        (when.redis_down, "Redis's stop"),
        (when.redis_up, "Redis's return"),
    ]
    after = [(moment, name) for moment, name in moments if moment and moment <= answer.sent]
    if not after:
        return f"{when.pg_down - answer.sent:.1f} s before PostgreSQL's stop"
    moment, name = after[-1]
    return f"{answer.sent - moment:.1f} s after {name}"
