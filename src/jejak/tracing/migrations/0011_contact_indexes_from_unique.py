"""Contacts and their venues lose the single-column index on their foreign key to the
case (the contact): the unique constraint's index begins with that column and serves the
same look-ups, and a mass run writes hundreds of rows a case into both tables.

Only the index goes: AlterField alone would also drop and re-add the foreign key, which
re-checks every row of the table under a lock."""

import django.db.models.deletion
from django.db import migrations, models

# (table, column) whose own index goes.
INDEXED = [("tracing_contact", "case_id"), ("tracing_contactvenue", "contact_id")]


def _single_indexes(schema_editor, table, column):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return [
        name
        for name, info in found.items()
        if info["index"]
        and not info["unique"]
        and not info["primary_key"]
        and info["columns"] == [column]
    ]


def drop_indexes(apps, schema_editor):
    qn = schema_editor.quote_name
    for table, column in INDEXED:
        for name in _single_indexes(schema_editor, table, column):
            schema_editor.execute(f"DROP INDEX IF EXISTS {qn(name)}")


def create_indexes(apps, schema_editor):
    qn = schema_editor.quote_name
    for table, column in INDEXED:
        if not _single_indexes(schema_editor, table, column):
            name = f"{table}_{column}_idx"
            schema_editor.execute(f"CREATE INDEX {qn(name)} ON {qn(table)} ({qn(column)})")


class Migration(migrations.Migration):
    dependencies = [
        ("tracing", "0010_case_visit_checkin_without_constraint"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="contact",
                    name="case",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="contacts",
                        to="tracing.case",
                    ),
                ),
                migrations.AlterField(
                    model_name="contactvenue",
                    name="contact",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="venues",
                        to="tracing.contact",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_indexes, create_indexes)],
        ),
    ]
