from django.db import migrations

from jejak.tracing.reference import ensure_weights


def add_weights(apps, schema_editor):
    ensure_weights(
        apps.get_model("tracing", "VenueTypeWeight"), apps.get_model("sectors", "Sector")
    )


class Migration(migrations.Migration):
    dependencies = [("tracing", "0001_initial"), ("sectors", "0002_reference_sectors")]
    operations = [migrations.RunPython(add_weights, migrations.RunPython.noop)]
