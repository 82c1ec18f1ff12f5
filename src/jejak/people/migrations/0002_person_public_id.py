import django.utils.timezone
from django.db import migrations, models

import jejak.people.models


def fill_public_ids(apps, schema_editor):
    Person = apps.get_model("people", "Person")
    for person in Person.objects.filter(public_id__isnull=True).only("pk"):
        person.public_id = jejak.people.models.new_public_id()
        person.save(update_fields=["public_id"])


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]

    operations = [
        # Nullable first: a callable default is evaluated once for all existing rows,
        # which a unique column cannot take.
        migrations.AddField(
            model_name="person",
            name="public_id",
            field=models.CharField(max_length=12, null=True),
        ),
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="person",
            name="public_id",
            field=models.CharField(
                default=jejak.people.models.new_public_id,
                editable=False,
                max_length=12,
                unique=True,
            ),
        ),
        migrations.AddField(
            model_name="person",
            name="nik_claimed_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
    ]
