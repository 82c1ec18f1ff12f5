"""Black-status alerts record when they were notified, so that the periodic sweep can
notify those whose task was lost.

Alerts that exist already were notified by the task of their check-in (or their messages
have been purged since): they are marked notified at their creation, or the first sweep
would alert everyone again about refusals of weeks ago.
"""

from django.db import migrations, models


def mark_existing_notified(apps, schema_editor):
    alert = apps.get_model("checkins", "BlackStatusAlert")
    alert.objects.filter(notified_at__isnull=True).update(notified_at=models.F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("checkins", "0006_references_without_constraints"),
    ]

    operations = [
        migrations.AddField(
            model_name="blackstatusalert",
            name="notified_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(mark_existing_notified, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="blackstatusalert",
            index=models.Index(
                condition=models.Q(("notified_at__isnull", True)),
                fields=["created_at"],
                name="black_alert_unnotified",
            ),
        ),
    ]
