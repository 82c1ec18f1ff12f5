"""Messages lose three indexes nothing reads: the one on `to_user` (the `outbox_inbox`
index begins with that column and serves every look-up by account, the cascade included)
and the two on `address_index` (a keyed hash kept to bind the encrypted address; no
query searches by it). A mass tracing run writes a million messages, each into every
index of the table.

For `to_user` only the index goes: AlterField alone would also drop and re-add the
foreign key, which re-checks every row of the table under a lock."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLE = "notifications_message"
COLUMN = "to_user_id"


def _single_indexes(schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, TABLE)
    return [
        name
        for name, info in found.items()
        if info["index"]
        and not info["unique"]
        and not info["primary_key"]
        and info["columns"] == [COLUMN]
    ]


def drop_index(apps, schema_editor):
    for name in _single_indexes(schema_editor):
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def create_index(apps, schema_editor):
    if not _single_indexes(schema_editor):
        qn = schema_editor.quote_name
        schema_editor.execute(
            f"CREATE INDEX {qn(f'{TABLE}_{COLUMN}_idx')} ON {qn(TABLE)} ({qn(COLUMN)})"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0004_message_context"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="message",
            name="address_index",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="message",
                    name="to_user",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notifications",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_index, create_index)],
        ),
    ]
