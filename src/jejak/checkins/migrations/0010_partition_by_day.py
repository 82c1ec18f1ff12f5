"""Check-ins partitioned by day on PostgreSQL, and the table of the check-ins a legal
hold keeps past retention (docs/partitions.md).

On PostgreSQL `checkins_checkin` becomes a table partitioned by RANGE of `scanned_at`, a
partition per Asia/Jakarta day from the day of the retention cutoff to a week ahead
(checkins/partitions.py names and bounds them) and a DEFAULT partition for every other
row: older rows (past retention, or kept by a hold) and any newer. Every row is copied
with its id, and the id sequence goes on where it was. The primary key becomes
(id, scanned_at) and `checkin_public_id` unique on (public_id, scanned_at), as a unique
index on a partitioned table must hold the partition key; the partial unique
`checkin_one_active_per_person` becomes a plain partial index (the writers' lock on the
person keeps one active stay per person). The other indexes and the foreign keys out of
the table are rebuilt as they were, from the catalogue. Keys into the table go first:
alerts here, case visits in tracing 0010.

The table is rewritten: the migration takes an exclusive lock on it for as long as the
copy lasts (docs/partitions.md has the figures). SQLite is left as it is: one table,
retention's row deletes. Reversible: the rows come back into one table, with those the
held table kept.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

# Every name in this migration's SQL is one of these constants or read from PostgreSQL's
# catalogue; no value comes from input (hence the S608/B608 exemptions).
TABLE = "checkins_checkin"
OLD = "checkins_checkin_unpartitioned"
HELD = "checkins_checkin_held"
PUBLIC_ID = "checkin_public_id"
ONE_ACTIVE = "checkin_one_active_per_person"

# Indexes of the table that back no constraint of its own.
_INDEXES = (
    "SELECT i.relname, pg_get_indexdef(i.oid), x.indisunique FROM pg_index x "
    "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = to_regclass(%s) "
    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = x.indrelid "
    "AND c.conindid = x.indexrelid) ORDER BY i.relname"
)
_CONSTRAINTS = (
    "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
    "WHERE conrelid = to_regclass(%s) AND contype IN ('p', 'u', 'f') ORDER BY conname"
)


def _fetch(cursor, sql, params):  # type: ignore[no-untyped-def]
    cursor.execute(sql, params)
    return cursor.fetchall()


def _is_partitioned(cursor) -> bool:  # type: ignore[no-untyped-def]
    cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [TABLE])
    return cursor.fetchone()[0] == "p"


def _columns(cursor, table):  # type: ignore[no-untyped-def]
    cursor.execute(
        "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute "
        "WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped",
        [table],
    )
    return cursor.fetchone()[0]


def _sequence(cursor):  # type: ignore[no-untyped-def]
    """The id sequence's name and position."""
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [TABLE])
    (name,) = cursor.fetchone()
    cursor.execute(f"SELECT last_value, is_called FROM {name}")  # noqa: S608  # nosec B608 (catalogue names)
    return (name, *cursor.fetchone())


def _rebuild(cursor, *, partitioned: bool) -> None:  # type: ignore[no-untyped-def]
    """Replace the table by a copy of itself, partitioned by day or not, with its rows,
    indexes, foreign keys and id sequence."""
    into = _fetch(
        cursor,
        "SELECT conrelid::regclass::text, conname FROM pg_constraint "
        "WHERE confrelid = to_regclass(%s) AND contype = 'f'",
        [TABLE],
    )
    if into:
        raise RuntimeError(f"foreign keys into {TABLE} must go first: {into}")
    indexes = _fetch(cursor, _INDEXES, [TABLE])
    constraints = _fetch(cursor, _CONSTRAINTS, [TABLE])
    sequence, last_value, is_called = _sequence(cursor)

    cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
    # CONSTRAINTS copies CHECK constraints only; keys and indexes are rebuilt below.
    like = (
        f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS INCLUDING IDENTITY "
        "INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS)"
    )
    cols = _columns(cursor, OLD)
    if partitioned:
        from jejak.checkins import partitions

        cursor.execute(like + " PARTITION BY RANGE (scanned_at)")
        for day in partitions.wanted(timezone.now()):
            cursor.execute(
                f"CREATE TABLE {day.name} PARTITION OF {TABLE} FOR VALUES FROM "
                f"('{day.lo.isoformat()}') TO ('{day.hi.isoformat()}')"
            )
        cursor.execute(f"CREATE TABLE {partitions.DEFAULT} PARTITION OF {TABLE} DEFAULT")
        cursor.execute(f"INSERT INTO {TABLE} ({cols}) SELECT {cols} FROM {OLD}")  # noqa: S608  # nosec B608 (catalogue names)
    else:
        cursor.execute(like)
        cursor.execute(f"INSERT INTO {TABLE} ({cols}) SELECT {cols} FROM {OLD}")  # noqa: S608  # nosec B608 (catalogue names)
        # An unpartitioned table keeps held rows where they are (retention's row deletes).
        cursor.execute(f"INSERT INTO {TABLE} ({cols}) SELECT {cols} FROM {HELD}")  # noqa: S608  # nosec B608 (catalogue names)
        cursor.execute(f"DELETE FROM {HELD}")  # noqa: S608  # nosec B608 (catalogue names)
    cursor.execute(f"DROP TABLE {OLD}")

    # The copy's identity sequence goes on where the old one was, under its name.
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [TABLE])
    (copy,) = cursor.fetchone()
    cursor.execute("SELECT setval(%s, %s, %s)", [copy, last_value, is_called])
    cursor.execute(f"ALTER SEQUENCE {copy} RENAME TO {sequence.split('.')[-1]}")

    for name, kind, definition in constraints:
        if kind == "p":
            key = "(id, scanned_at)" if partitioned else "(id)"
            cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} PRIMARY KEY {key}")
        elif kind == "u":
            if name != PUBLIC_ID:
                raise RuntimeError(f"unexpected unique constraint {name} on {TABLE}")
            key = "(public_id, scanned_at)" if partitioned else "(public_id)"
            cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} UNIQUE {key}")
        else:
            cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} {definition}")
    for name, definition, unique in indexes:
        # A partitioned table's index reads "ON ONLY": built here for every partition.
        statement = definition.replace(" ON ONLY ", " ON ", 1)
        if name == ONE_ACTIVE:
            plain = statement.replace("CREATE UNIQUE INDEX", "CREATE INDEX", 1)
            statement = (
                plain if partitioned else plain.replace("CREATE INDEX", "CREATE UNIQUE INDEX", 1)
            )
        elif unique:
            raise RuntimeError(f"unexpected unique index {name} on {TABLE}")
        cursor.execute(statement)
    cursor.execute(f"ANALYZE {TABLE}")


def partition(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if not _is_partitioned(cursor):
            _rebuild(cursor, partitioned=True)


def unpartition(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if _is_partitioned(cursor):
            _rebuild(cursor, partitioned=False)


class Migration(migrations.Migration):
    dependencies = [
        ("checkins", "0009_model_names"),
        ("tracing", "0010_case_visit_checkin_without_constraint"),
        ("people", "0005_model_names"),
        ("venues", "0002_model_names"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="blackstatusalert",
            name="checkin",
            field=models.OneToOneField(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="alert",
                to="checkins.checkin",
            ),
        ),
        migrations.CreateModel(
            name="HeldCheckIn",
            fields=[
                ("id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("public_id", models.CharField(max_length=16)),
                ("request_id", models.BigIntegerField()),
                (
                    "visitor_type",
                    models.CharField(
                        choices=[("guest", "Pengunjung"), ("employee", "Karyawan")], max_length=10
                    ),
                ),
                (
                    "decision",
                    models.CharField(
                        choices=[
                            ("allowed", "Boleh masuk"),
                            ("allowed_after_staff_check", "Boleh masuk setelah diperiksa petugas"),
                            ("denied", "Tidak boleh masuk"),
                        ],
                        max_length=30,
                    ),
                ),
                ("reasons", models.JSONField(default=list)),
                ("colour", models.CharField(max_length=10)),
                ("colour_reasons", models.JSONField(default=list)),
                ("rule_set", models.CharField(max_length=50)),
                ("policy", models.JSONField(default=dict)),
                ("scanned_at", models.DateTimeField()),
                ("received_at", models.DateTimeField()),
                ("checked_in_at", models.DateTimeField(blank=True, null=True)),
                ("planned_checkout_at", models.DateTimeField(blank=True, null=True)),
                ("checked_out_at", models.DateTimeField(blank=True, null=True)),
                (
                    "checkout_method",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("explicit", "Tombol check-out"),
                            ("rescan", "Pindai ulang kode tempat"),
                            ("elsewhere", "Check-in di tempat lain"),
                            ("staff_all", "Petugas mengeluarkan semua pengunjung"),
                            ("automatic", "Otomatis setelah lama kunjungan"),
                        ],
                        default="",
                        max_length=10,
                    ),
                ),
                (
                    "account",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "entry_point",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="venues.entrypoint",
                    ),
                ),
                (
                    "person",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="people.person",
                    ),
                ),
                (
                    "venue",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="venues.venue",
                    ),
                ),
            ],
            options={
                "verbose_name": "check-in ditahan",
                "verbose_name_plural": "check-in ditahan",
                "db_table": "checkins_checkin_held",
                "ordering": ["-scanned_at", "-id"],
                "indexes": [
                    models.Index(
                        fields=["venue", "scanned_at"],
                        include=(
                            "checked_in_at",
                            "checked_out_at",
                            "planned_checkout_at",
                            "person",
                            "visitor_type",
                            "id",
                        ),
                        name="held_checkin_venue_time",
                    ),
                    models.Index(
                        fields=["person", "scanned_at"], name="held_checkin_person_history"
                    ),
                ],
            },
        ),
        migrations.RunPython(partition, unpartition),
    ]
