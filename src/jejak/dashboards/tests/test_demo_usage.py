from django.core.management import call_command

from jejak.checkins.errors import Decision, DenialReason
from jejak.checkins.models import BlackStatusAlert, CheckIn, CheckInRequest
from jejak.dashboards import demo_usage, usage_counts
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
    # One alert per generated black refusal (how many there are depends on the weekday:
    # weekends draw more visits, so the random sequence differs from day to day).
    blacks = [c for c in generated if DenialReason.STATUS_BLACK in c.reasons]
    alerts = BlackStatusAlert.objects.filter(checkin__rule_set=RULE_SET)
    assert alerts.count() == len(blacks)
    assert not alerts.filter(notified_at__isnull=True).exists()
    scope = Venue.objects.all()
    end = generated.order_by("-scanned_at").first().scanned_at.date()
    assert usage_counts.least_compliant(scope, end, end, limit=None)


def test_demo_usage_black_refusals_are_history(world, monkeypatch):
    # Only black refusals, so the alerts exist whatever the day: the periodic sweep must
    # not tell anyone now about a refusal weeks old.
    monkeypatch.setattr(
        demo_usage,
        "OUTCOMES",
        [(1, Decision.DENIED, "hitam", [DenialReason.STATUS_BLACK])],
    )
    made = build_usage(days=14, seed=1)
    alerts = BlackStatusAlert.objects.filter(checkin__rule_set=RULE_SET)
    assert alerts.count() == made["checkins"] > 0
    assert not alerts.filter(notified_at__isnull=True).exists()


def test_demo_usage_command_without_demo(db, capsys):
    call_command("demo_usage")
    assert "jejak demo" in capsys.readouterr().out
