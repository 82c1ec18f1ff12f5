"""The restore drill (`jejak restore-drill`) on a small database of its own: both methods
bring back every row and every secret, and keys that cannot read the data fail it.

The source is a cluster this module starts (a base backup needs a replication
connection, which the machine's shared server does not grant), loaded with the test
database's schema and reference data (a pg_dump of it: a client's read) and a few
secrets written by the app's own code, this process's default connection pointed at the
source for the while: visitors' phone numbers, the registry's NIKs, a roster entry, a
message's address and a QR signing key under an old data key; then people's NIKs after
a rotation began (the new key first, the old one kept, `jejak reencrypt` not run yet),
as a real database holds during a rotation.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from django.db.utils import load_backend
from django.test import override_settings

from jejak.audit.models import AuditEvent
from jejak.core import crypto
from jejak.core.reencryption import Opened, open_samples
from jejak.core.restore_drill import Side, compare, connected, libpq_env, run_drill
from jejak.core.tests.faults import PostgresCluster, own_folder
from jejak.core.tests.tools import require_tool

needs_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="needs DATABASE_URL pointing at PostgreSQL",
)

OLD, NEW = "drill-old-data-key-0123456789abcdef", "drill-new-data-key-0123456789abcdef"
INDEX = "drill-index-key-0123456789abcdef"

COLUMNS = {
    "accounts.User.phone_encrypted",
    "identity.Resident.nik_encrypted",
    "people.Person.nik_encrypted",
    "qrcodes.SigningKey.private_key_encrypted",
    "rosters.RosterEntry.phone_encrypted",
    "notifications.Message.address_encrypted",
}


def _seed() -> None:
    """Secrets written by the app's own code: under the old data key, then (people's
    NIKs) after a rotation began."""
    from jejak.accounts.roles import Role
    from jejak.accounts.tests.factories import UserFactory
    from jejak.core.phone import mask_phone, phone_index, seal_phone
    from jejak.identity.tests.factories import register_resident
    from jejak.notifications import outbox
    from jejak.people import service as people
    from jejak.people.tests.factories import AGUS, BUDI, DEWI, own
    from jejak.qrcodes import keys
    from jejak.regions.tests.factories import city_with_districts
    from jejak.rosters import service as rosters
    from jejak.sectors.models import Sector
    from jejak.sectors.reference import ensure_sectors
    from jejak.venues.tests.factories import VenueFactory

    with override_settings(JEJAK_DATA_KEYS=[OLD], JEJAK_INDEX_KEY=INDEX):
        # A transactional test run earlier flushed the migrations' reference data.
        ensure_sectors(Sector)
        city = city_with_districts()
        venue = VenueFactory(region=city.children.first())
        visitors = []
        for serial, data in enumerate((BUDI, DEWI, AGUS), start=1):
            number = f"+628123456780{serial}"
            index = phone_index(number)
            sealed = seal_phone(number, index=index)
            visitors.append(
                UserFactory(
                    role=Role.VISITOR,
                    password=None,
                    phone_index=index,
                    phone_encrypted=sealed,
                    phone_masked=mask_phone(number),
                )
            )
            register_resident(**data)
        keys.create_key()
        rosters.add_entry(actor=None, venue=venue, role="Kasir", phone="+6281299990000")
        outbox.enqueue(
            template="dependant_request_decided",
            context={"name": "Budi", "approved": True, "reason": "-"},
            channels=["sms"],
            to_phone="+6281299990001",
        )
    with override_settings(JEJAK_DATA_KEYS=[NEW, OLD], JEJAK_INDEX_KEY=INDEX):
        for visitor, data in zip(visitors, (BUDI, DEWI, AGUS), strict=True):
            people.set_own_profile(account=visitor, **own(data))


@contextmanager
def _default_database(settings: dict[str, Any], blocker: Any) -> Iterator[None]:
    """This thread's `default` connection pointed at another database for a while, so
    that the app's services write there; the test database's connection is put back."""
    test_connection = connections["default"]
    other = load_backend(settings["ENGINE"]).DatabaseWrapper(settings, "default")
    connections["default"] = other
    try:
        with blocker.unblock():
            yield
    finally:
        other.close()
        connections["default"] = test_connection


@pytest.fixture(scope="module")
def source(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """Django settings of the source database, in a cluster of this module's own;
    stopped and removed afterwards."""
    for tool in ("initdb", "pg_ctl", "pg_dump", "pg_restore", "pg_basebackup", "pg_verifybackup"):
        require_tool(tool, hint="Debian's postgresql package")
    folder = Path(tempfile.mkdtemp(prefix="jejak-drill-source-"))
    cluster = PostgresCluster(folder)
    try:
        cluster.init()
        cluster.start()
        cluster.psql("CREATE DATABASE jejak")
        test_database = dict(connections["default"].settings_dict)
        settings = {
            **test_database,
            "NAME": "jejak",
            "HOST": "127.0.0.1",
            "PORT": str(cluster.port),
            "USER": "postgres",
            "PASSWORD": "",
        }
        # The test database's tables and the reference data its migrations wrote.
        archive = folder / "schema.dump"
        pg_dump = [require_tool("pg_dump"), "-Fc", "-f", str(archive)]
        subprocess.run(pg_dump, env=libpq_env(test_database), check=True, timeout=120)
        restore = [require_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error"]
        restore += ["--jobs", "2", "--dbname", "jejak", str(archive)]
        subprocess.run(restore, env=libpq_env(settings), check=True, timeout=120)
        with _default_database(settings, django_db_blocker):
            _seed()
        yield settings
    finally:
        if cluster.running():
            cluster.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def workdir() -> Iterator[Path]:
    # Not pytest's tmp_path: PostgreSQL's programs may run as the postgres user, who
    # cannot enter root's folders.
    path = Path(tempfile.mkdtemp(prefix="jejak-drill-work-"))
    own_folder(path)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _sockets() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("jejak-drill-socket-*")}


@pytest.fixture
def keys(settings: Any) -> None:
    """The drill's keys: both data keys of the rotation, and the index key."""
    settings.JEJAK_DATA_KEYS = [NEW, OLD]
    settings.JEJAK_INDEX_KEY = INDEX


@pytest.mark.postgres
@needs_postgres
@pytest.mark.usefixtures("keys")
@pytest.mark.parametrize("method", ["dump", "base"])
@pytest.mark.django_db
def test_a_backup_restores_every_row_and_secret(
    source: dict[str, Any], workdir: Path, method: str
) -> None:
    before = _sockets()
    report = run_drill(source=source, method=method, workdir=workdir, sample=5)
    print("\n".join(report.lines()))
    assert report.ok, report.problems
    program = {"dump": "pg_dump -Fc", "base": "pg_basebackup -X stream"}[method]
    assert any(program in step for step in report.steps)
    assert report.tables > 50
    assert report.rows > 100
    assert set(report.secrets) == COLUMNS
    assert report.secrets["people.Person.nik_encrypted"] == 3
    # The cluster is gone with its folders.
    assert list(workdir.iterdir()) == []
    assert _sockets() == before


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db
def test_keys_that_cannot_read_the_data_fail_the_drill(
    source: dict[str, Any], workdir: Path, settings: Any
) -> None:
    # The old data key dropped before `jejak reencrypt` ran, and a wrong index key.
    settings.JEJAK_DATA_KEYS = [NEW]
    settings.JEJAK_INDEX_KEY = "another-index-key-0123456789abcdef"
    out = StringIO()
    with connected("drill_test_source", source), pytest.raises(CommandError, match="failed"):
        call_command(
            "restore_drill",
            database="drill_test_source",
            method="base",
            workdir=workdir,
            stdout=out,
            stderr=StringIO(),
        )
    text = out.getvalue()
    print(text)
    # Under the old key: does not decrypt. Under the new one: the index does not match.
    assert "accounts.User.phone_encrypted #" in text
    assert "does not decrypt: The key that encrypted this blob is not configured." in text
    assert "people.Person.nik_encrypted #" in text
    assert "its blind index differs" in text
    assert list(workdir.iterdir()) == []
    event = AuditEvent.objects.get(action="backups.restore_drill")
    assert event.detail["ok"] is False and event.detail["problems"] > 0


@pytest.mark.django_db
def test_a_sample_opens_every_encrypted_column_and_writes_nothing(settings: Any) -> None:
    from jejak.accounts.models import User
    from jejak.people.models import Person
    from jejak.people.tests.factories import BUDI

    _seed()
    settings.JEJAK_DATA_KEYS, settings.JEJAK_INDEX_KEY = [NEW, OLD], INDEX
    opened = open_samples(using="default", size=5)
    assert {f"{label}.{column}" for label, column, _pk in opened} == COLUMNS
    assert all(o.digest and not o.problem for o in opened.values())
    budi = Person.objects.get(full_name=BUDI["full_name"])
    key = ("people.Person", "nik_encrypted", str(budi.pk))
    assert opened[key].digest == hashlib.sha256(BUDI["nik"].encode()).hexdigest()
    # The same rows looked up again, as in the copy.
    assert open_samples(using="default", like=opened) == opened
    # Sent the rotation's signal, yet re-encrypted nothing under the new key.
    phone = User.objects.exclude(phone_encrypted=None).first()
    assert phone is not None and crypto.needs_reencryption(phone.phone_encrypted)
    settings.JEJAK_INDEX_KEY = "another-index-key-0123456789abcdef"
    wrong = open_samples(using="default", like=opened)
    assert "blind index differs" in wrong[key].problem


def _side(counts: dict[str, int], **secrets: Opened | None) -> Side:
    opened = {("people.Person", "nik_encrypted", pk): o for pk, o in secrets.items() if o}
    return Side(counts=counts, unlogged=set(), secrets=opened)


def test_a_dump_must_match_its_snapshot_exactly() -> None:
    a, b = Opened(digest="a"), Opened(digest="b")
    source = _side({"t": 3, "u": 1}, p1=a, p2=a)
    assert compare(source, _side({"t": 3, "u": 1}, p1=a, p2=a)) == []
    assert compare(source, _side({"t": 2, "v": 1}, p1=b)) == [
        "t: 2 rows in the copy, 3 at the source",
        "u: at the source, missing from the copy",
        "v: in the copy, not at the source",
        "people.Person.nik_encrypted #p1: another value than at the source",
        "people.Person.nik_encrypted #p2: missing from the copy",
    ]


def test_a_base_backup_may_hold_any_moment_of_its_copying() -> None:
    a, b = Opened(digest="a"), Opened(digest="b")
    before = _side({"t": 3}, p1=a, p2=a)
    after = _side({"t": 5}, p1=b)  # p2 deleted meanwhile
    assert compare(before, _side({"t": 4}, p1=b), after=after) == []
    assert compare(before, _side({"t": 3}, p1=a, p2=a), after=after) == []
    assert compare(before, _side({"t": 6}, p1=Opened(digest="c")), after=after) == [
        "t: 6 rows in the copy, 3 to 5 at the source",
        "people.Person.nik_encrypted #p1: another value than at the source",
    ]
