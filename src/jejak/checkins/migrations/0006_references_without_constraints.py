"""Check-ins and their requests keep their references without database constraints.

Each constraint made every inserted check-in look up and lock the row it points to at
commit (models.py says why they are safe without). Only the constraints go: the indexes
stay as they were, on both backends (core/tests/test_schema.py checks).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("checkins", "0005_restore_one_active_per_person"),
        ("people", "0002_person_public_id"),
        ("venues", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="checkin",
            name="account",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="checkin",
            name="entry_point",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="checkins",
                to="venues.entrypoint",
            ),
        ),
        migrations.AlterField(
            model_name="checkin",
            name="person",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="checkins",
                to="people.person",
            ),
        ),
        migrations.AlterField(
            model_name="checkin",
            name="request",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="checkins",
                to="checkins.checkinrequest",
            ),
        ),
        migrations.AlterField(
            model_name="checkin",
            name="venue",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="checkins",
                to="venues.venue",
            ),
        ),
        migrations.AlterField(
            model_name="checkinrequest",
            name="account",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
