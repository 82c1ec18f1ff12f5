from django.core.management import call_command

from jejak.checkins.models import BlackStatusAlert, CheckIn, CheckInRequest
from jejak.dashboards import usage_counts
from jejak.dashboards.demo_usage import RULE_SET, build_usage
from jejak.venues.models import Venue


def test_demo_usage_generates_and_replaces_its_own_checkins(world):
    before = CheckIn.objects.count()
    first = build_usage(days=14, seed=1)
    assert first["venues"] == 4  # H1, H2, K1 and the other city's O1
    generated = CheckIn.objects.filter(rule_set=RULE_SET)
    assert generated.count() == first["checkins"] > 0
    again = build_usage(days=14, seed=1)
    assert again == first
    assert CheckIn.objects.count() == before + first["checkins"]
    assert CheckInRequest.objects.filter(checkins__isnull=True).count() == 0
    # History: the periodic sweep must not alert anyone about weeks-old refusals.
    alerts = BlackStatusAlert.objects.filter(checkin__rule_set=RULE_SET)
    assert alerts.exists() and not alerts.filter(notified_at__isnull=True).exists()
    scope = Venue.objects.all()
    end = generated.order_by("-scanned_at").first().scanned_at.date()
    assert usage_counts.least_compliant(scope, end, end, limit=None)


def test_demo_usage_command_without_demo(db, capsys):
    call_command("demo_usage")
    assert "jejak demo" in capsys.readouterr().out
