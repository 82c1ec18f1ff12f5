"""A case visit's check-in is a reference without a database constraint.

On PostgreSQL check-ins are partitioned by day (checkins 0010), and a key into a
partitioned table must name its partition key too; the visit keeps its venue and times,
and dropping a day deletes the visits of the rows no hold keeps (checkins/partitions.py).
Runs before checkins 0010, which needs the constraint gone.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("checkins", "0009_model_names"),
        ("tracing", "0009_run_resume"),
    ]

    operations = [
        migrations.AlterField(
            model_name="casevisit",
            name="checkin",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="checkins.checkin",
            ),
        ),
    ]
