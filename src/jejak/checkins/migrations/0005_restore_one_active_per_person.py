"""Put back `checkin_one_active_per_person` where 0003 lost it.

On PostgreSQL, 0003's AlterField of `person` (db_index True -> False) dropped every
plain index on person_id, and Django counted this partial unique index among them: the
model still declares the constraint, the database no longer had it. Without it, the
people query of the check-in path read a person's open stay by scanning every open stay
(checkin_overdue) on a young table's statistics. SQLite rebuilt the table from the model
and kept it, so this only creates what is missing.
"""

from django.db import migrations


def restore(apps, schema_editor):  # type: ignore[no-untyped-def]
    model = apps.get_model("checkins", "CheckIn")
    with schema_editor.connection.cursor() as cursor:
        present = schema_editor.connection.introspection.get_constraints(
            cursor, model._meta.db_table
        )
    if "checkin_one_active_per_person" in present:
        return
    (constraint,) = [
        c for c in model._meta.constraints if c.name == "checkin_one_active_per_person"
    ]
    schema_editor.add_constraint(model, constraint)


class Migration(migrations.Migration):
    dependencies = [("checkins", "0004_covering_venue_time")]

    operations = [migrations.RunPython(restore, migrations.RunPython.noop)]
