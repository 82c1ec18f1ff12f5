import django.db.models.deletion
from django.db import migrations, models


def fill_from_visits(apps, schema_editor):
    # Contacts found before this table existed: their explanation names the venues.
    Contact = apps.get_model("tracing", "Contact")
    ContactVenue = apps.get_model("tracing", "ContactVenue")
    Venue = apps.get_model("venues", "Venue")
    rows = []
    for contact_id, visits in Contact.objects.values_list("id", "visits").iterator():
        for venue_id in {v.get("venue_id") for v in visits or [] if v.get("venue_id")}:
            rows.append((contact_id, venue_id))
    existing = set(Venue.objects.filter(pk__in={v for _c, v in rows}).values_list("pk", flat=True))
    ContactVenue.objects.bulk_create(
        [ContactVenue(contact_id=c, venue_id=v) for c, v in rows if v in existing],
        batch_size=1000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tracing", "0002_reference_weights"),
        ("venues", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ContactVenue",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "contact",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="venues",
                        to="tracing.contact",
                    ),
                ),
                (
                    "venue",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="venues.venue",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("contact", "venue"), name="contact_venue_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(fill_from_visits, migrations.RunPython.noop),
    ]
