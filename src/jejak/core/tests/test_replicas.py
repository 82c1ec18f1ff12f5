"""Read replicas against a real streaming replica (core/replicas.py).

The test starts its own primary (initdb) and hot standby (pg_basebackup -R -X stream)
under a temporary folder, on free loopback ports, never the machine's shared server.
Jejak runs in a subprocess of its own (`jejak shell`) whose settings name the two:
DATABASE_URL the primary, DATABASE_REPLICA_URLS the standby, a lag bound of 1 s. The
test drives it one command at a time (the DRIVER below answers each with a JSON line)
and changes the standby in between; the driver records on which alias each statement
that touched the check-ins ran.

What must hold:
- the dashboards' page and the contact search (alone, and inside a transaction as a
  mass run calls it) read check-ins on the replica; writes go to the primary, and so
  does a read inside a transaction on the primary;
- a check-in written on the primary appears on the replica, and the search finds it
  there;
- replay paused on the standby: once the measured lag passes the bound, the same reads
  go to the primary (which has the check-in the replica lacks), and back to the replica
  when replay resumes;
- the standby stopped: reads go to the primary with no error, even one already sent to
  the replica, and that is logged once.

Runs where DATABASE_URL is PostgreSQL (.ci/run's second pass), needing Debian's
PostgreSQL binaries (initdb, pg_ctl, pg_basebackup). The tables are made from the models,
as the fault gate makes them: `migrate` takes 30 s and more on a busy two-core machine.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jejak.checkins.models import CheckIn
from jejak.core.tests.faults import PostgresCluster, own_folder
from jejak.core.tests.replication import StandbyCluster
from jejak.core.tests.serving import JEJAK, jejak, server_env
from jejak.tracing.models import Case

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="needs DATABASE_URL pointing at PostgreSQL (.ci/run's PostgreSQL pass)",
    ),
]

BOUND = 1  # JEJAK_REPLICA_MAX_LAG_SECONDS in the driver
ANSWER_SECONDS = 90.0  # the driver's first answer includes Django's start on a busy machine
WAIT_SECONDS = 30.0  # replication, lag and recovery, each

# The tables from the models (see the docstring), the reference data a case needs, a
# venue, five visitors, the case's stay with one contact's inside it, the case opened,
# and a city admin for the dashboards.
SEED = """
import datetime as dt
import json
import uuid
from django.apps import apps
from django.core.management import call_command
from django.test.utils import override_settings
unmigrated = {config.label: None for config in apps.get_app_configs()}
with override_settings(MIGRATION_MODULES=unmigrated):
    call_command("migrate", run_syncdb=True, interactive=False, verbosity=0)
from django.utils import timezone
from jejak.accounts.roles import Role
from jejak.accounts.tests.factories import UserFactory
from jejak.checkins.models import CheckIn, CheckInRequest
from jejak.regions.tests.factories import city_with_districts
from jejak.screening.tests.factories import make_person
from jejak.sectors.models import Sector
from jejak.sectors.reference import ensure_sectors
from jejak.tracing import cases
from jejak.tracing.models import TracingProfile, VenueTypeWeight
from jejak.tracing.reference import ensure_profiles, ensure_weights
from jejak.venues.tests.factories import VenueFactory

ensure_sectors(Sector)
ensure_weights(VenueTypeWeight, Sector)
ensure_profiles(TracingProfile, VenueTypeWeight)
city = city_with_districts()
venue = VenueFactory(region=city.children.first())
entrance = venue.entry_points.get()
people = [make_person(UserFactory(role=Role.VISITOR, password=None), serial=n) for n in range(1, 6)]
now = timezone.now()
start = now - dt.timedelta(hours=2)
for person, minutes, length in ((people[0], 0, 60), (people[1], 10, 40)):
    begin = start + dt.timedelta(minutes=minutes)
    request = CheckInRequest.objects.create(
        account=person.account, nonce=uuid.uuid4(), received_at=begin, result={}
    )
    CheckIn.objects.create(
        request=request, person=person, account=person.account, venue=venue,
        entry_point=entrance, visitor_type="guest", decision="allowed", colour="hijau",
        rule_set="test", scanned_at=begin, received_at=begin, checked_in_at=begin,
        checked_out_at=begin + dt.timedelta(minutes=length), checkout_method="explicit",
    )
case = cases.open_case(person=people[0], actor=None, specimen_date=timezone.localdate(), now=now)
admin = UserFactory(role=Role.CITY_ADMIN, region=city, password=None)
print(json.dumps({
    "case": case.pk, "people": [p.pk for p in people], "venue": venue.pk,
    "entrance": entrance.pk, "start": start.isoformat(), "admin": admin.pk,
}))
"""

# Jejak's side: one command a line on stdin ({"do": ..., "args": {...}}), one answer a
# line on stdout ("@@ " and JSON). Each command is handled as a request is: Django's
# connection checks before and after it.
DRIVER = r"""
import datetime as dt
import itertools
import json
import logging
import os
import re
import sys
import traceback
import uuid
from contextlib import ExitStack

from django.db import close_old_connections, connections, transaction
from django.test import Client

from jejak.accounts.models import User
from jejak.checkins.models import CheckIn, CheckInRequest
from jejak.core import replicas
from jejak.people.models import Person
from jejak.tracing import overlap
from jejak.tracing.models import Case, Contact
from jejak.tracing.search import search_contacts

seed = json.loads(os.environ["JEJAK_TEST_SEED"])
start = dt.datetime.fromisoformat(seed["start"])
CHECKINS = re.compile(r"\b%s\b" % CheckIn._meta.db_table)
CONTACTS = re.compile(r"\b%s\b" % Contact._meta.db_table)
# An unreachable replica is tried again sooner than in production: the test waits less.
replicas.DOWN_RECHECK_SECONDS = 1.0


class Logged(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


logged = Logged()
logging.getLogger("jejak.core.replicas").addHandler(logged)
measured = []
measure = replicas._measure


def counted(alias):
    found = measure(alias)
    measured.append(found[0])
    return found


replicas._measure = counted


def recorded(run):
    # (alias, sql) of every statement that succeeded while `run` ran.
    seen = []

    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        seen.append((context["connection"].alias, sql))
        return result

    with ExitStack() as stack:
        for alias in connections:
            stack.enter_context(connections[alias].execute_wrapper(wrapper))
        out = run()
    return out, seen


def on(seen, table):
    return sorted({alias for alias, sql in seen if table.search(sql)})


def dashboard():
    client = Client()
    client.force_login(User.objects.get(pk=seed["admin"]))
    status, seen = recorded(lambda: client.get("/dasbor/penggunaan/").status_code)
    return {"status": status, "checkins_on": on(seen, CHECKINS)}


def search(atomic):
    case = Case.objects.get(pk=seed["case"])

    def run():
        if atomic:  # as a mass run calls it
            with transaction.atomic():
                return search_contacts(case=case, actor=None)
        return search_contacts(case=case, actor=None)

    found, seen = recorded(run)
    return {
        "contacts": len(found),
        "checkins_on": on(seen, CHECKINS),
        "contacts_on": on(seen, CONTACTS),
    }


next_person = itertools.count(2)


def write():
    person = Person.objects.get(pk=seed["people"][next(next_person)])
    begin = start + dt.timedelta(minutes=20)

    def stay():
        with replicas.reading():
            request = CheckInRequest.objects.create(
                account_id=person.account_id, nonce=uuid.uuid4(), received_at=begin, result={}
            )
            return CheckIn.objects.create(
                request=request, person=person, account_id=person.account_id,
                venue_id=seed["venue"], entry_point_id=seed["entrance"], visitor_type="guest",
                decision="allowed", colour="hijau", rule_set="test", scanned_at=begin,
                received_at=begin, checked_in_at=begin,
                checked_out_at=begin + dt.timedelta(minutes=30), checkout_method="explicit",
            ).pk

    def count_in_transaction():
        with transaction.atomic(), replicas.reading():
            return CheckIn.objects.count()

    pk, written = recorded(stay)
    count, read = recorded(count_in_transaction)
    return {
        "id": pk,
        "written_on": on(written, CHECKINS),
        "count": count,
        "read_in_transaction_on": on(read, CHECKINS),
    }


def hold():
    # A replica chosen, then (while the test stops it) read from.
    def run():
        with replicas.reading():
            respond({"chosen": replicas.read_alias()})
            sys.stdin.readline()
            return overlap.shared_visits(
                person_id=seed["people"][0],
                window_start=start - dt.timedelta(days=1),
                window_end=start + dt.timedelta(hours=2),
            )

    found, seen = recorded(run)
    return {"shared": len(found), "checkins_on": on(seen, CHECKINS)}


def lags():
    return {"lags": replicas.replica_lags()}


def respond(answer):
    sys.stdout.write("@@ " + json.dumps(answer, default=str) + "\n")
    sys.stdout.flush()


COMMANDS = {"dashboard": dashboard, "search": search, "write": write, "hold": hold, "lags": lags}
for line in sys.stdin:
    command = json.loads(line)
    close_old_connections()
    try:
        answer = COMMANDS[command["do"]](**command.get("args", {}))
    except Exception:
        answer = {"error": traceback.format_exc()}
    close_old_connections()
    respond(answer | {"warnings": logged.messages, "measured": len(measured)})
"""


class Driver:
    """The Jejak process under test, one command at a time."""

    def __init__(self, env: dict[str, str], errors: Path) -> None:
        with errors.open("wb") as log:
            self.process = subprocess.Popen(
                [JEJAK, "shell", "--no-imports", "-c", DRIVER],
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        self.errors = errors
        self.answers: queue.Queue[dict[str, Any] | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("@@ "):
                self.answers.put(json.loads(line[3:]))
        self.answers.put(None)

    def send(self, do: str, **args: Any) -> dict[str, Any]:
        self.write(json.dumps({"do": do, "args": args}))
        return self.answer()

    def write(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def answer(self) -> dict[str, Any]:
        try:
            got = self.answers.get(timeout=ANSWER_SECONDS)
        except queue.Empty:
            raise AssertionError(f"no answer:\n{self.errors.read_text()}") from None
        if got is None:
            raise AssertionError(f"the driver exited:\n{self.errors.read_text()}")
        assert "error" not in got, got["error"]
        return got

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@dataclass
class Replication:
    folder: Path
    primary: PostgresCluster
    standby: StandbyCluster
    began: float


@pytest.fixture
def replication() -> Iterator[Replication]:
    """A primary and its streaming standby of the test's own (not pytest's tmp_path: the
    sockets' paths must stay short); both stopped and the folder removed afterwards,
    whatever happened."""
    began = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="jejak-replicas-"))
    own_folder(folder)  # the postgres user must reach the clusters inside
    (folder / "primary").mkdir()
    (folder / "standby").mkdir()
    primary = PostgresCluster(folder / "primary")
    standby = StandbyCluster(folder / "standby", primary)
    try:
        primary.init()
        primary.start()
        standby.init()
        standby.start()
        yield Replication(folder, primary, standby, began)
    finally:
        for cluster in (standby, primary):
            if cluster.running():
                cluster.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


def wait_for(condition: Callable[[], Any], what: str, seconds: float = WAIT_SECONDS) -> Any:
    """The first true value of `condition()`, polled until `seconds` have passed."""
    deadline = time.monotonic() + seconds
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.1)


def test_reads_go_to_a_current_replica_and_to_the_primary_otherwise(
    replication: Replication,
) -> None:
    primary, standby = replication.primary, replication.standby
    assert standby.psql("SELECT pg_is_in_recovery()").strip() == "t"
    primary.psql("CREATE DATABASE jejak")
    env = server_env(
        replication.folder / "var",
        DATABASE_URL=primary.url("jejak"),
        DATABASE_REPLICA_URLS=standby.url("jejak"),
        JEJAK_REPLICA_MAX_LAG_SECONDS=str(BOUND),
        # Pages rendered without collectstatic's manifest.
        DEBUG="true",
        JEJAK_DEMO_SKIP_SECOND_FACTOR="true",
    )
    out = jejak("shell", "--no-imports", "-c", SEED, env=env).stdout.decode()
    seed = json.loads(out.strip().splitlines()[-1])

    def on_standby(table: str, pk: int) -> bool:
        found = standby.psql(f"SELECT count(*) FROM {table} WHERE id = {pk}", "jejak")  # noqa: S608
        return found.strip() == "1"

    wait_for(lambda: on_standby(Case._meta.db_table, seed["case"]), "the seed on the standby")
    driver = Driver(env | {"JEJAK_TEST_SEED": json.dumps(seed)}, replication.folder / "driver.log")
    try:
        # A current replica: the dashboards and the contact search read it, alone or in
        # a mass run's transaction; the contacts are written (and read) on the primary.
        page = driver.send("dashboard")
        assert (page["status"], page["checkins_on"]) == (200, ["replica1"])
        for atomic in (False, True):
            found = driver.send("search", atomic=atomic)
            assert found["checkins_on"] == ["replica1"], (atomic, found)
            assert found["contacts_on"] == ["default"], (atomic, found)
            assert found["contacts"] == 1

        # Writes go to the primary, and a read in its transaction too; the row reaches
        # the replica, where the search finds it.
        wrote = driver.send("write")
        assert wrote["written_on"] == ["default"]
        assert wrote["read_in_transaction_on"] == ["default"]
        wait_for(lambda: on_standby(CheckIn._meta.db_table, wrote["id"]), "the check-in replicated")
        found = driver.send("search", atomic=False)
        assert (found["checkins_on"], found["contacts"]) == (["replica1"], 2)

        # Replay paused: a new check-in stays on the primary; once the measured lag
        # passes the bound, the reads go there (and find it), until replay resumes.
        standby.psql("SELECT pg_wal_replay_pause()")
        wrote = driver.send("write")
        wait_for(
            lambda: (driver.send("lags")["lags"]["replica1"] or 0) > BOUND,
            f"a lag over {BOUND} s",
        )
        assert not on_standby(CheckIn._meta.db_table, wrote["id"])
        found = driver.send("search", atomic=False)
        assert (found["checkins_on"], found["contacts"]) == (["default"], 3)
        assert driver.send("dashboard")["checkins_on"] == ["default"]
        standby.psql("SELECT pg_wal_replay_resume()")
        found = wait_for(
            lambda: (f := driver.send("search", atomic=False))["checkins_on"] == ["replica1"] and f,
            "the replica used again",
        )
        assert found["contacts"] == 3
        warned = len(found["warnings"])

        # The standby stopped between choosing it and reading from it, then while no
        # request has chosen it: the reads go to the primary, no request fails.
        driver.write(json.dumps({"do": "hold"}))
        assert driver.answer()["chosen"] == "replica1"
        standby.stop("fast")
        driver.write("go")
        held = driver.answer()
        assert (held["checkins_on"], held["shared"]) == (["default"], 3)
        measured = held["measured"]
        page = wait_for(
            lambda: (p := driver.send("dashboard"))["measured"] > measured and p,
            "the stopped replica measured again",
        )
        assert (page["status"], page["checkins_on"]) == (200, ["default"])
        found = driver.send("search", atomic=True)
        assert (found["checkins_on"], found["contacts"]) == (["default"], 3)
        assert driver.send("lags")["lags"] == {"replica1": None}
        # Logged once, however often it was tried again.
        down = driver.send("lags")["warnings"][warned:]
        assert len(down) == 1 and "replica1 not used" in down[0], down
    except BaseException:
        print(_logs(replication.folder))
        raise
    finally:
        driver.close()
    print(f"replicas test: {time.monotonic() - replication.began:.1f} s")


def _logs(folder: Path) -> str:
    """The end of what the driver and both clusters logged: for a failure."""
    parts = []
    for log in (
        folder / "driver.log",
        folder / "primary/postgres.log",
        folder / "standby/postgres.log",
    ):
        if log.exists():
            parts.append(f"== {log.relative_to(folder)}, last 40 lines")
            parts += log.read_text(errors="replace").splitlines()[-40:]
    return "\n".join(parts)
