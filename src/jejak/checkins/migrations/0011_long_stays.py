"""The contact search's index of long stays on PostgreSQL (checkins/models.py, LONG_STAY).

`checkin_venue_long_stay`: the columns of `checkin_venue_time`, only for admitted stays
longer than three hours or with no end yet. The search reads a venue's other check-ins
from three hours before a visit in `checkin_venue_time` and, further back up to the
24-hour MAX_STAY, only these (tracing/overlap.py). The held table gets its twin.

Built without stopping check-ins: on the partitioned table the index is made `ON ONLY`
the parent (invalid until complete), then each partition's index `CONCURRENTLY` and
attached; it becomes valid when the last is. Partitions created later get theirs from
the parent when attached (checkins/partitions.py). Hence not atomic: a failure half-way
leaves some partitions indexed, and the migration runs again over them (`IF NOT EXISTS`).

SQLite has no such index (its dates are text): the search reads 24 hours back there.
"""

from django.db import migrations

# Frozen at this migration: checkins.models.long_stay_sql() and the covering columns.
# Every name is a constant here or read from the catalogue (hence S608/B608 exemptions).
TABLE = "checkins_checkin"
HELD = "checkins_checkin_held"
NAME = "checkin_venue_long_stay"
HELD_NAME = "held_checkin_venue_long_stay"
_KEYS = (
    "(venue_id, scanned_at) INCLUDE (checked_in_at, checked_out_at, planned_checkout_at, "
    "person_id, visitor_type, id)"
)
_WHERE = (
    "checked_in_at IS NOT NULL AND (COALESCE(checked_out_at, planned_checkout_at) IS NULL "
    "OR COALESCE(checked_out_at, planned_checkout_at) - checked_in_at > interval '3 hours')"
)


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [TABLE])
        if cursor.fetchone()[0] == "p":
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {NAME} ON ONLY {TABLE} {_KEYS} WHERE {_WHERE}"
            )
            cursor.execute(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = to_regclass(%s) ORDER BY c.relname",
                [TABLE],
            )
            for (part,) in cursor.fetchall():
                index = f"{part}_long_stay"
                cursor.execute(
                    f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {index} ON {part} {_KEYS} "
                    f"WHERE {_WHERE}"
                )
                cursor.execute(
                    "SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass(%s)", [index]
                )
                if cursor.fetchone() is None:
                    cursor.execute(f"ALTER INDEX {NAME} ATTACH PARTITION {index}")
        else:
            # Not partitioned (a PostgreSQL database built from the models, as the outage
            # gate's): one index, still without stopping writes.
            cursor.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {NAME} ON {TABLE} {_KEYS} WHERE {_WHERE}"
            )
        cursor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {HELD_NAME} ON {HELD} {_KEYS} WHERE {_WHERE}"
        )


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        # The parent's drop takes its attached partitions' indexes with it.
        cursor.execute(f"DROP INDEX IF EXISTS {NAME}")
        cursor.execute(f"DROP INDEX IF EXISTS {HELD_NAME}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("checkins", "0010_partition_by_day")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
