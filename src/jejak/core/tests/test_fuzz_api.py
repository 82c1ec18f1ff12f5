"""CI gate: the OpenAPI document, fuzzed against a live server.

schemathesis (its pytest integration: one test per operation and caller) fuzzes the
document /api/v1/openapi.json against `jejak serve` on a loopback port, backed by a
PostgreSQL database of its own that `jejak demo` fills (so that venues, cases, check-ins
and people exist). Each operation gets the requests schemathesis generates from the
document: its examples, the coverage phase's boundary and invalid values, then random
ones (fuzzing); three times, as three callers with a bearer token each:

- a visitor (Ahmad Hijau of the demo, with a profile and dependants), signed in the way
  a phone signs in: `POST /auth/otp`, the code from the SMS file backend, `POST /auth/verify`;
- a health officer (`dinkes`) and a city admin (`kominfo`), with API tokens, as staff API
  clients have (made here by `ApiToken.issue`, what `jejak api-token` runs, in the same
  `jejak shell` that reads the identifiers below; staff also reach the API with a
  browser session and its CSRF token, which is no different past authentication).

What must hold for every answer: no 5xx (`not_a_server_error`), a status the operation
documents (`status_code_conformance`), and the documented content type, headers and
body schema (`content_type_conformance`, `response_headers_conformance`,
`response_schema_conformance`). Errors the API root answers for any operation (401, 422,
control characters, the database down ...) are documented by `jejak/api.py`; each
operation declares its own.

The tests are made when pytest collects them, before any server runs, so the document
is read from the API in this process (schemathesis's loader from a fixture,
`schemathesis.pytest.from_fixture`, fails on pytest 9.2); the server must then serve
exactly that document (checked before the first request).

Identifiers the fuzzer would never guess (venue codes, QR tokens, NIKs, public ids, the
ids of cases, inspections ...) are read from the demo's database after setup, and half
the time a generated value of a parameter or body field of that name is replaced by one
of them, so that requests reach past "not found" into the code behind.

Not sent: `POST /auth/logout` and `DELETE /me/tokens/{token_id}`, which revoke the token
the session runs on (token ids are small integers the fuzzer finds). Every other write
is sent: the database is thrown away.

The time budget: the whole gate, setup included, must end within 5 minutes on a busy
2-core machine. Every operation is sent its examples and coverage cases, then at most
JEJAK_FUZZ_EXAMPLES (20) random examples. Each caller gets an equal share of what is
left of GATE_SECONDS, and each operation, when it starts, an equal share of what is left
of its caller's: the random examples that come after that share is spent are not sent
(and are counted). So a slow day fuzzes every operation less, and never leaves one out.
Runs are reproducible: the seed is fixed (JEJAK_FUZZ_SEED to change it). How many
requests were sent, and their statuses, is printed at the end.

    JEJAK_GATES=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> \\
        .venv/bin/pytest src/jejak/core/tests/test_fuzz_api.py -q -x
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import psycopg
import pytest
import requests
from psycopg import sql

from jejak.core.tests.serving import fetch, jejak, served, server_env
from jejak.notifications.sms import read_last_code

if TYPE_CHECKING:
    import schemathesis

pytestmark = [
    pytest.mark.gate,
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="needs DATABASE_URL pointing at PostgreSQL",
    ),
]

# From the start of setup (in a full run the gate's turn comes after other tests): the
# gate's 5 minutes, less pytest's start and collection, and the teardown.
GATE_SECONDS = 250.0
EXAMPLES = int(os.environ.get("JEJAK_FUZZ_EXAMPLES", "20"))
SEED = int(os.environ.get("JEJAK_FUZZ_SEED", "2021"))
REQUEST_TIMEOUT = 15.0
KNOWN_SHARE = 0.5  # how often a generated identifier is replaced by a known one
VISITOR_PHONE = "+6281100000001"  # Ahmad Hijau (v-demo1) of `jejak demo`
STAFF = {"health_officer": "dinkes", "city_admin": "kominfo"}
CALLERS = ["visitor", *STAFF]
CONFIG = {
    "seed": SEED,
    "suppress-health-check": ["all"],  # a busy machine is slow; that is not a finding
    "request-timeout": REQUEST_TIMEOUT,
    "phases": {
        "examples": {"enabled": True},
        "coverage": {"enabled": True},
        "fuzzing": {"enabled": True},
        "stateful": {"enabled": False},
    },
    "generation": {
        "max-examples": EXAMPLES,
        "database": "none",
        "no-shrink": True,  # a failure is reported as found, with its curl command
        # The caller's own token, never a generated Authorization header or session cookie.
        "with-security-parameters": False,
    },
}


# After `jejak demo`: the staff's tokens, and the demo's identifiers by the parameter or
# body field names that take them.
SETUP = """
import json
from jejak.accounts.models import ApiToken, User
from jejak.checkins.models import CheckIn
from jejak.dashboards.tables import TABLES
from jejak.followups.models import FollowUp
from jejak.inspections.models import Inspection
from jejak.notifications.models import Message
from jejak.people.models import DependantRequest, Person
from jejak.people.service import decrypt_nik
from jejak.qrcodes.models import CodeStatus, QrCode
from jejak.regions.models import Region
from jejak.rosters.models import RosterEntry
from jejak.tracing.models import Case, ClusterAlert, Contact
from jejak.venues.models import Venue

def some(model, field="pk"):
    return [str(v) for v in model.objects.order_by("pk").values_list(field, flat=True)[:25]]

people = Person.objects.order_by("pk")[:25]
tokens = {
    role: ApiToken.issue(user=User.objects.get(username=username), name="fuzz gate")[1]
    for role, username in STAFF.items()
}
print(json.dumps(tokens))
print(json.dumps({
    "short_code": some(Venue, "short_code"),
    "qr": [c.token for c in QrCode.objects.filter(status=CodeStatus.ACTIVE).order_by("pk")[:25]],
    "nik": [decrypt_nik(p) for p in people],
    "people": ["self", *(p.public_id for p in people if p.relation != "self")],
    "public_id": [p.public_id for p in people]
    + some(DependantRequest, "public_id") + some(CheckIn, "public_id"),
    "region": some(Region, "code"),
    "name": list(TABLES),
    "case_id": some(Case), "contact_id": some(Contact), "alert_id": some(ClusterAlert),
    "inspection_id": some(Inspection), "followup_id": some(FollowUp),
    "entry_id": some(RosterEntry), "message_id": some(Message),
}))
""".replace("STAFF", repr(STAFF))
# Fields named otherwise that take the same identifiers.
SAME_AS = {"venue": "short_code", "current_nik": "nik"}


def with_known_values(
    case: schemathesis.Case, known: dict[str, list[str]], rng: random.Random
) -> None:
    """Replace, now and then, a generated identifier by one that exists."""
    body = case.body if isinstance(case.body, dict) else {}
    for values in (case.path_parameters, case.query, body):
        for name, value in list((values or {}).items()):
            found = known.get(SAME_AS.get(name, name))
            if not found or rng.random() >= KNOWN_SHARE:
                continue
            if isinstance(value, list):  # check-ins' `people`
                values[name] = [rng.choice(found) for _item in value]
            elif name.endswith("_id") and isinstance(value, int):
                values[name] = int(rng.choice(found))
            else:
                values[name] = rng.choice(found)


@dataclass
class Caller:
    role: str
    token: str
    deadline: float
    known: dict[str, list[str]]
    operations: int
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    session: requests.Session = field(default_factory=requests.Session)
    # Each started operation's end of its time share.
    shares: dict[str, float] = field(default_factory=dict)
    trimmed: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0

    def send(self, base: str, case: schemathesis.Case) -> None:
        """Send one generated request as this caller and check the answer; a random
        example past its operation's time share is not sent."""
        label, now = case.operation.label, time.monotonic()
        if label not in self.shares:
            left = max(self.operations - len(self.shares), 1)
            self.shares[label] = now + max(self.deadline - now, 0.0) / left
        elif (
            case.meta is not None and case.meta.phase.name == "fuzzing" and now > self.shares[label]
        ):
            self.trimmed[label] += 1
            return
        with_known_values(case, self.known, self.rng)
        headers = {"Authorization": f"Bearer {self.token}"}
        response = case.call(
            base_url=base, session=self.session, headers=headers, timeout=REQUEST_TIMEOUT
        )
        self.statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())


@dataclass
class Live:
    base: str
    tokens: dict[str, str]
    known: dict[str, list[str]]
    deadline: float
    callers: list[Caller] = field(default_factory=list)


@contextmanager
def own_database() -> Iterator[str]:
    """A database of this run's own on DATABASE_URL's server, dropped at the end."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    name = f"jejak_fuzz_{os.getpid()}"
    admin = parts._replace(path="/postgres").geturl()

    def run(statement: sql.Composable) -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(statement)

    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    run(drop)
    run(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield parts._replace(path=f"/{name}").geturl()
    finally:
        run(drop)


def sign_in_visitor(base: str, sms_dir: Path) -> str:
    """A visitor's bearer token, the way a phone gets one."""
    headers = {"Content-Type": "application/json"}
    sent = json.dumps({"phone": VISITOR_PHONE}).encode()
    status, body = fetch(f"{base}/api/v1/auth/otp", data=sent, headers=headers)
    assert status == 202, body
    code = read_last_code(sms_dir, VISITOR_PHONE)
    assert code is not None, "no sign-in code in the SMS folder"
    # Accepting the privacy notice as the app does: otherwise every operation would
    # answer 403 privacy_notice_changed and the fuzzer would reach no view.
    status, notice = fetch(f"{base}/api/v1/privacy-notice")
    assert status == 200, notice
    version = json.loads(notice)["version"]
    sent = json.dumps(
        {"phone": VISITOR_PHONE, "code": code, "privacy_notice_version": version}
    ).encode()
    status, body = fetch(f"{base}/api/v1/auth/verify", data=sent, headers=headers)
    assert status == 200, body
    return str(json.loads(body)["token"])


def say(config: pytest.Config, line: str) -> None:
    """A line in pytest's output, whatever the capture mode."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(line)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[Live]:
    began = time.monotonic()
    var = tmp_path_factory.mktemp("fuzz")
    with own_database() as url:
        env = server_env(
            var, DATABASE_URL=url, JEJAK_SMS_BACKEND="file", JEJAK_SMS_DIR=str(var / "sms")
        )
        # No collectstatic: the API answers JSON only, and a page it rendered instead
        # (the manifest missing) would fail the gate, as it should.
        for args in (["migrate", "--noinput", "-v0"], ["demo"]):
            jejak(*args, env=env)
        printed = jejak("shell", "--no-imports", "-c", SETUP, env=env).stdout.decode()
        tokens, known = (json.loads(line) for line in printed.splitlines()[-2:])
        with served(env, workers=2) as (base, _proc):
            status, served_document = fetch(f"{base}/api/v1/openapi.json")
            assert status == 200
            assert json.loads(served_document) == DOCUMENT, "not the document fuzzed"
            tokens["visitor"] = sign_in_visitor(base, var / "sms")
            say(pytestconfig, f"\nfuzz: server ready in {time.monotonic() - began:.0f} s")
            found = Live(base=base, tokens=tokens, known=known, deadline=began + GATE_SECONDS)
            yield found
        sent = sum(c.sent for c in found.callers)
        say(
            pytestconfig,
            f"fuzz: {sent} requests in all, seed {SEED}, {EXAMPLES} random examples per "
            f"operation, {time.monotonic() - began:.0f} s with setup",
        )


@pytest.fixture(scope="module", params=CALLERS)
def caller(
    request: pytest.FixtureRequest, live: Live, pytestconfig: pytest.Config
) -> Iterator[Caller]:
    left = len(CALLERS) - len(live.callers)
    now = time.monotonic()
    role = request.param
    deadline = now + (live.deadline - now) / left
    found = Caller(
        role=role,
        token=live.tokens[role],
        deadline=deadline,
        known=live.known,
        operations=OPERATIONS,
    )
    live.callers.append(found)
    yield found
    found.seconds = time.monotonic() - now
    answers = ", ".join(f"{status}: {n}" for status, n in sorted(found.statuses.items()))
    say(
        pytestconfig,
        f"\nfuzz as {role}: {len(found.shares)} of {OPERATIONS} operations, {found.sent} "
        f"requests in {found.seconds:.0f} s ({answers})",
    )
    if found.trimmed:
        say(
            pytestconfig,
            f"fuzz as {role}: {found.trimmed.total()} random examples of "
            f"{len(found.trimmed)} operations not sent, their time share spent",
        )


if os.environ.get("JEJAK_GATES") == "1":
    import schemathesis
    from schemathesis.checks import not_a_server_error
    from schemathesis.core.result import Ok
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    from jejak.api import api

    CHECKS = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
    ]
    # What /api/v1/openapi.json serves (as JSON: integer status keys become strings).
    DOCUMENT = json.loads(json.dumps(api.get_openapi_schema()))
    schema = (
        schemathesis.openapi.from_dict(DOCUMENT, config=schemathesis.Config.from_dict(CONFIG))
        .exclude(method="POST", path="/api/v1/auth/logout")
        .exclude(method="DELETE", path="/api/v1/me/tokens/{token_id}")
    )
    OPERATIONS = sum(1 for found in schema.get_all_operations() if isinstance(found, Ok))

    @schema.parametrize()
    def test_every_answer_is_documented(
        case: schemathesis.Case, caller: Caller, live: Live
    ) -> None:
        caller.send(live.base, case)

else:
    # Outside a gate run (conftest skips it), one placeholder: collecting the fuzzer's
    # 200 tests would cost every `make test` seconds for nothing.
    def test_every_answer_is_documented() -> None:
        raise AssertionError("runs only with JEJAK_GATES=1")
