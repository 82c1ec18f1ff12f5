"""Every field that looks like personal data is marked in core/personal_data.py (or allowed
below with a reason), and every marked model is in the records of processing."""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps
from django.db import models

from jejak.core.personal_data import PERSONAL

DOCS = Path(__file__).resolve().parents[4] / "docs" / "privacy.md"

# Names that suggest a person's data: NIK, phone, name, birth, sex, a colour or status,
# a test result or dose, an address, an IP or browser, a person's coordinates, e-mail.
SUSPECT = re.compile(
    r"nik|phone|name|birth|born|(^|_)sex($|_)|gender|colou?r|status|result|dose|symptom"
    r"|specimen|vaccin|diagnos|address|(^|_)ip($|_)|user_agent|email"
    r"|(^|_)(lat|latitude|lon|lng|longitude)($|_)"
)
SUSPECT_TYPES = (models.GenericIPAddressField, models.EmailField)

# Fields whose names look personal but hold no one's data. Each says what it holds.
NOT_PERSONAL: dict[str, str] = {
    "accounts.ApiToken.name": "a token's label (`app`, a partner's integration)",
    "auth.Permission.name": "a permission's description",
    "auth.Permission.codename": "a permission's code",
    "auth.Group.name": "a group's name",
    "regions.Region.name": "an administrative region's name",
    "sectors.Sector.name_id": "a sector's name",
    "sectors.Sector.name_en": "a sector's name",
    "sectors.Agency.name": "a government agency's name",
    "sectors.Agency.short_name": "a government agency's name",
    "venues.Venue.name": "a venue's name",
    "venues.Venue.address": "a venue's street address",
    "venues.Venue.latitude": "a venue's position",
    "venues.Venue.longitude": "a venue's position",
    "venues.Venue.status": "a venue's registration status",
    "venues.Venue.status_changed_at": "a venue's registration status",
    "venues.EntryPoint.name": "an entrance's name",
    "venues.VenueTransition.from_status": "a venue's registration status",
    "venues.VenueTransition.to_status": "a venue's registration status",
    "qrcodes.QrCode.status": "a poster code's state",
    "screening.RuleSet.name": "a screening rule set's title",
    "tracing.TracingRun.status": "a mass tracing run's state (the run holds counts only)",
    "tracing.TracingProfile.name": "a tracing profile's title (a pathogen's rules)",
    "zones.ThresholdSet.name": "a zone threshold document's title",
    "ppkm.SectorRule.guest_colours": "the colours a PPKM rule admits, not a person's",
    "ppkm.SectorRule.employee_colours": "the colours a PPKM rule admits, not a person's",
    "ppkm.SectorRule.staff_check_colours": "the colours a PPKM rule admits, not a person's",
    "inspections.Inspection.status": "an inspection's state",
    "dashboards.DailyVenueCount.colour": "a count of a venue's check-ins of that colour per day",
    "breaches.Breach.status": "a breach's handling state",
    "inspections.InspectionCheck.result": "a venue checklist item's result",
    "otp_totp.TOTPDevice.name": "a second-factor device's label",
    "otp_static.StaticDevice.name": "a second-factor device's label",
    "django_tasks_database.DBTaskResult.status": "a background task's state",
    "django_tasks_database.DBTaskResult.queue_name": "a task queue's name",
    "django_tasks_database.DBTaskResult.backend_name": "a task backend's name",
    "partners.Partner.name": "a partner app's name",
    "partners.Partner.status": "a partner app's registration status",
    "partners.Partner.status_changed_at": "a partner app's registration status",
    "partners.Partner.status_reason": "why the issuer suspended a partner app",
    "oauth2_provider.Application.name": "a partner app's OAuth client name",
    "oauth2_provider.DeviceGrant.status": "the device flow's state (not offered: no rows)",
}


def _points_at_a_person(field: models.Field[object, object]) -> bool:
    target = field.related_model
    return (
        field.is_relation
        and target is not None
        and not isinstance(target, str)
        and target._meta.label == "people.Person"
    )


def _suspects() -> list[str]:
    found = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not field.concrete or field.auto_created:
                continue
            if (
                SUSPECT.search(field.name)
                or isinstance(field, SUSPECT_TYPES)
                or _points_at_a_person(field)  # type: ignore[arg-type]
            ):
                found.append(f"{model._meta.label}.{field.name}")
    return found


def test_every_personal_looking_field_is_marked_or_allowed() -> None:
    marked = {f"{label}.{name}" for label, names in PERSONAL.items() for name in names}
    unaccounted = sorted(set(_suspects()) - marked - set(NOT_PERSONAL))
    assert unaccounted == [], (
        f"mark {unaccounted} in core/personal_data.py (and docs/privacy.md), or say in "
        "NOT_PERSONAL why they hold no one's data"
    )


def test_marked_and_allowed_fields_exist() -> None:
    real = {
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if field.concrete
    }
    marked = {f"{label}.{name}" for label, names in PERSONAL.items() for name in names}
    assert sorted(marked - real) == [], "stale entries in core/personal_data.py"
    assert sorted(set(NOT_PERSONAL) - real) == [], "stale entries in NOT_PERSONAL"
    assert sorted(marked & set(NOT_PERSONAL)) == []


def test_every_marked_model_is_in_the_records_of_processing() -> None:
    text = DOCS.read_text(encoding="utf-8")
    missing = sorted(label for label in PERSONAL if f"`{label}`" not in text)
    assert missing == [], f"name {missing} in docs/privacy.md"


def test_the_patterns_catch_what_they_should() -> None:
    # The walk above is only as good as these names; a new field spelled like these must
    # be noticed.
    for name in (
        "nik_index",
        "mother_phone",
        "full_name",
        "birth_date",
        "colour",
        "status",
        "lab_result",
        "dose_number",
        "home_address",
        "ip",
        "client_ip",
        "latitude",
        "lon",
        "email",
    ):
        assert SUSPECT.search(name), name
    for name in ("venue", "created_at", "capacity", "position", "token", "slug"):
        assert not SUSPECT.search(name), name
