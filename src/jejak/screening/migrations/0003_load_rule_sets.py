"""Load the two shipped rule sets (screening/rulesets/*.json).

The files are frozen once shipped: a change in the rules is a new file with a new slug,
so every database holds the same content under the same slug.
"""

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db import migrations

RULESETS = Path(__file__).resolve().parent.parent / "rulesets"
FILES = ["2021-09.json", "2022-07-17.json"]
METADATA = {"slug", "name", "effective_from", "effective_until"}
# The shipped files give dates: midnight in Jakarta, where the rules were announced.
JAKARTA = ZoneInfo("Asia/Jakarta")


def _moment(value):
    if not value:
        return None
    return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), tzinfo=JAKARTA)


def load(apps, schema_editor):
    RuleSet = apps.get_model("screening", "RuleSet")
    for name in FILES:
        doc = json.loads((RULESETS / name).read_text(encoding="utf-8"))
        RuleSet.objects.get_or_create(
            slug=doc["slug"],
            defaults={
                "name": doc["name"],
                "effective_from": _moment(doc["effective_from"]),
                "effective_until": _moment(doc.get("effective_until")),
                "document": {k: v for k, v in doc.items() if k not in METADATA},
            },
        )


def unload(apps, schema_editor):
    RuleSet = apps.get_model("screening", "RuleSet")
    RuleSet.objects.filter(slug__in=[name.removesuffix(".json") for name in FILES]).delete()


class Migration(migrations.Migration):
    dependencies = [("screening", "0002_status_pass")]

    operations = [migrations.RunPython(load, unload)]
