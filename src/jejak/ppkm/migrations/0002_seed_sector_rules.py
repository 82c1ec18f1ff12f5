"""Seed the PPKM sub-categories and the sector rules of Levels 1-4 (ppkm/seed.py,
explained in docs/ppkm.md)."""

from django.db import migrations

from jejak.ppkm.seed import ensure_rules


def seed(apps, schema_editor):
    ensure_rules(apps.get_model("sectors", "Sector"), apps.get_model("ppkm", "SectorRule"))


class Migration(migrations.Migration):
    dependencies = [("ppkm", "0001_initial"), ("sectors", "0002_reference_sectors")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
