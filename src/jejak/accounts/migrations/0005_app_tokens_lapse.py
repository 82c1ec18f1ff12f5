"""Bearer tokens issued to the app by one-time-code sign-in lapse after 90 idle days
(JEJAK_TOKEN_IDLE_DAYS). Tokens issued before that rule get an expiry 90 days after
their last use (or creation), so a forgotten phone's token stops working too."""

import datetime as dt

from django.db import migrations
from django.db.models import F
from django.db.models.functions import Coalesce


def lapse_app_tokens(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    ApiToken.objects.filter(name="app", expires_at__isnull=True).update(
        expires_at=Coalesce(F("last_used_at"), F("created_at")) + dt.timedelta(days=90)
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_signinguard_onetimecode")]

    operations = [migrations.RunPython(lapse_app_tokens, migrations.RunPython.noop)]
