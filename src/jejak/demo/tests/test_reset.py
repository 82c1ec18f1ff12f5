"""builder.reset() on the whole demo (the package's, with its two weeks of activity):
every table it is meant to empty is empty, and the reference data stays. Each test runs
in its own transaction, rolled back afterwards, so the demo is there for the next one."""

from django.apps import apps

from jejak.accounts.models import PrivacyAcceptance, User
from jejak.demo.builder import reset

# Reference data: migrations and `import_regions` make it, not the demo, and reset()
# keeps it. The sector rules stay too (ppkm.demo.reset_demo_levels removes the levels).
KEPT = {
    "auth.Permission",
    "contenttypes.ContentType",
    "core.CacheVersion",
    "regions.Region",
    "sectors.Sector",
    "ppkm.SectorRule",
    "screening.RuleSet",
    "tracing.TracingProfile",
    "tracing.VenueTypeWeight",
    "zones.Population",
    "zones.ThresholdSet",
    "zones.ZoneSnapshot",
}
# The demo's activity, which makes the test worth its name: each of these has rows.
BUILT = [
    "accounts.User",
    "audit.AuditEvent",
    "checkins.BlackStatusAlert",
    "checkins.CheckIn",
    "checkins.CheckInRequest",
    "health.VaccinationDose",
    "identity.Resident",
    "people.Person",
    "ppkm.LevelAssignment",
    "qrcodes.QrCode",
    "tracing.Case",
    "tracing.CaseVisit",
    "tracing.Contact",
    "venues.Venue",
]


def _counts() -> dict[str, int]:
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models()
        if not model._meta.proxy
    }


def _dangling(label: str) -> list[str]:
    """The foreign keys of a kept model's rows that point at a row no longer there."""
    model = apps.get_model(label)
    dangling = []
    for field in model._meta.concrete_fields:
        if not field.is_relation or field.related_model is None:
            continue
        targets = field.related_model._base_manager.values(field.target_field.attname)
        rows = model._base_manager.exclude(**{f"{field.attname}__isnull": True})
        if rows.exclude(**{f"{field.attname}__in": targets}).exists():
            dangling.append(f"{label}.{field.name}")
    return dangling


def test_reset_empties_the_demo_and_keeps_reference_data(db_with_demo):
    admin = User.objects.create(username="root", is_superuser=True, is_staff=True)
    PrivacyAcceptance.objects.create(user=admin, version="2021-10", channel="web")
    before = _counts()
    reset()
    after = _counts()
    assert [label for label in BUILT if not before[label]] == []
    assert before["regions.Region"] > 0 and before["ppkm.SectorRule"] > 0
    assert {label: after[label] for label in KEPT} == {label: before[label] for label in KEPT}
    # Superusers stay, with what hangs off them alone; every other table is empty.
    assert list(User.objects.values_list("username", flat=True)) == ["root"]
    left = {label: n for label, n in after.items() if n and label not in KEPT}
    assert left == {"accounts.User": 1, "accounts.PrivacyAcceptance": 1}
    # Nothing kept points at a deleted row (the accounts that changed rule sets, say).
    assert [name for label in sorted(KEPT) for name in _dangling(label)] == []
