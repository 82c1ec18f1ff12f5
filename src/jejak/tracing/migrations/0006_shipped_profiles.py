"""The tracing profiles Jejak ships (pathogens/*.json as they were when profiles came),
and "legacy": the rules every search used before profiles, built from this database's
own sector weights, so earlier cases and searches stay explained by what made them.
Cases opened before get the legacy profile."""

import json
from pathlib import Path

from django.db import migrations

SHIPPED = Path(__file__).resolve().parent.parent / "pathogens"


def legacy_document(weights):
    return {
        "format": "jejak-tracing/1",
        "slug": "legacy",
        "version": 1,
        "name": "COVID-19 (sebelum profil)",
        "pathogen": "SARS-CoV-2",
        "description": (
            "The rules of every search before tracing profiles: 15 minutes (each sector's "
            "minimum) summed over the whole window, a proportional tail of at most 30 "
            "minutes, every day equally infectious, every stay of the case counted; "
            "officers designated by hand."
        ),
        "case_window": {"days_before_onset": 2},
        "case_min_stay_minutes": 0,
        "tail": {"rule": "proportional", "minutes": 30},
        "threshold": {"rule": "minutes", "minutes": 15, "within_hours": None},
        "infectiousness": {"by_day": {}, "otherwise": "1.0"},
        "sectors": {
            slug: {"weight": str(weight), "min_contact_minutes": minutes}
            for slug, weight, minutes in weights
        },
        "designation_days": None,
        "auto_open_days": 14,
        "automation": {"designate": "none", "min_score": "15.0"},
    }


def forwards(apps, schema_editor):
    profile_model = apps.get_model("tracing", "TracingProfile")
    weight_model = apps.get_model("tracing", "VenueTypeWeight")
    case_model = apps.get_model("tracing", "Case")
    weights = weight_model.objects.values_list("sector__slug", "weight", "min_contact_minutes")
    documents = [legacy_document(sorted(weights))]
    documents += [json.loads(p.read_text(encoding="utf-8")) for p in sorted(SHIPPED.glob("*.json"))]
    rows = {}
    for doc in documents:
        rows[doc["slug"]], _ = profile_model.objects.get_or_create(
            slug=doc["slug"],
            version=doc["version"],
            defaults={"name": doc["name"], "pathogen": doc["pathogen"], "document": doc},
        )
    legacy = rows["legacy"]
    case_model.objects.filter(profile__isnull=True).update(profile=legacy)
    case_model.objects.filter(searched_at__isnull=False, searched_with__isnull=True).update(
        searched_with=legacy
    )


class Migration(migrations.Migration):
    dependencies = [("tracing", "0005_profiles")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
