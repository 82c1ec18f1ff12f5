"""The tracing profiles Jejak ships (pathogens/*.json), and "legacy": the rules every
search used before profiles, built from this database's own sector weights, so earlier
cases and searches stay explained by what made them. Cases opened before get it."""

from django.db import migrations

from jejak.tracing.reference import ensure_profiles


def forwards(apps, schema_editor):
    case_model = apps.get_model("tracing", "Case")
    rows = ensure_profiles(
        apps.get_model("tracing", "TracingProfile"), apps.get_model("tracing", "VenueTypeWeight")
    )
    legacy = rows["legacy"]
    case_model.objects.filter(profile__isnull=True).update(profile=legacy)
    case_model.objects.filter(searched_at__isnull=False, searched_with__isnull=True).update(
        searched_with=legacy
    )


class Migration(migrations.Migration):
    dependencies = [("tracing", "0005_profiles")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
