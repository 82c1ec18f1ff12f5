from django.db import migrations

from jejak.sectors.reference import ensure_sectors


def add_sectors(apps, schema_editor):
    ensure_sectors(apps.get_model("sectors", "Sector"))


class Migration(migrations.Migration):
    dependencies = [("sectors", "0001_initial")]
    operations = [migrations.RunPython(add_sectors, migrations.RunPython.noop)]
