"""Load the shipped default thresholds (zones/data/thresholds/who-2021-06-14.json).

The file is frozen once shipped: a change in the thresholds is a new set with a new slug,
so every database holds the same content under the same slug.
"""

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db import migrations

SHIPPED = Path(__file__).resolve().parent.parent / "data" / "thresholds"
FILES = ["who-2021-06-14.json"]
METADATA = {"slug", "name", "effective_from", "effective_until"}
# The shipped file gives dates: midnight in Jakarta.
JAKARTA = ZoneInfo("Asia/Jakarta")


def _moment(value):
    if not value:
        return None
    return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), tzinfo=JAKARTA)


def load(apps, schema_editor):
    ThresholdSet = apps.get_model("zones", "ThresholdSet")
    for name in FILES:
        doc = json.loads((SHIPPED / name).read_text(encoding="utf-8"))
        ThresholdSet.objects.get_or_create(
            slug=doc["slug"],
            defaults={
                "name": doc["name"],
                "effective_from": _moment(doc["effective_from"]),
                "effective_until": _moment(doc.get("effective_until")),
                "document": {k: v for k, v in doc.items() if k not in METADATA},
            },
        )


def unload(apps, schema_editor):
    ThresholdSet = apps.get_model("zones", "ThresholdSet")
    ThresholdSet.objects.filter(slug__in=[name.removesuffix(".json") for name in FILES]).delete()


class Migration(migrations.Migration):
    dependencies = [("zones", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
