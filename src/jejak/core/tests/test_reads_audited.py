"""Every read of personal data by someone other than its owner leaves an audited read:
an `AuditEvent` with the actor, a purpose, and one `AuditSubject` per citizen whose data
the answer showed (docs/security.md, "Audited reads").

Structural, so that a new page, operation or admin model cannot forget it:

- Django admin: every registered model is either listed in the authorization matrix as
  holding no personal data, or its ModelAdmin derives from `AuditedReadsAdmin`; its
  changelist and change view, with data present, write an audited read naming at least
  one person (unless listed below as data with no subject key), and every citizen of the
  world whose data the page shows.
- The API and pages: every row of the authorization matrix (authz_matrix.py) is sent as
  its right caller; when the caller is not the data's owner and the answer shows a
  citizen's personal data (the world's secrets, authz_world.py), the caller's audited
  reads must name that citizen. Another city's officer's refused look-up (not found,
  outside the jurisdiction) of an audited read is audited as well: probing shows.
- No audit row ever holds a NIK or a phone number in clear.

The world is the matrix's own, built once for this module.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.core.management import call_command
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from jejak.accounts.roles import Role
from jejak.audit.admin_reads import AuditedReadsAdmin
from jejak.audit.models import AuditEvent, AuditSubject
from jejak.core.tests import test_authorization_matrix as matrix
from jejak.core.tests.authz_matrix import ADMIN_WITHOUT_PERSONAL_DATA, ROWS, Row
from jejak.core.tests.authz_world import AHMAD_NIK, BROTHER, MOTHER, PLAINTEXT, SARI_NIK, World
from jejak.core.tests.test_authorization_matrix import _client, _send, _text
from jejak.health.models import TravelQuarantine, VaccinationExemption
from jejak.people.nik import nik_index

pytestmark = pytest.mark.django_db

# The matrix's world and its fixtures, built once for this module too.
world = matrix.world
in_world = matrix.in_world

# --- Whose data each of the world's secrets is -------------------------------------------

# A secret's key starts with its citizen's name; Sari's in-app message is hers.
CITIZENS = {
    "sari_": SARI_NIK,
    "message_": SARI_NIK,
    "brother_": BROTHER["nik"],
    "mother_": MOTHER["nik"],
    "ahmad_": AHMAD_NIK,
}

# Personal data of people who are not citizens keyed by a NIK here: venues' contact
# persons and staff, and what officers write about venues. A read of them is not a read
# of a citizen's data, so it names nobody (Django admin still records it, below).
NOT_A_CITIZENS = {
    "coordinator_email": "a venue's contact person, given for the registration",
    "coordinator_phone": "a venue's contact person, given for the registration",
    "review_coordinator_email": "a venue's contact person, given for the registration",
    "staff_phone": "a venue staff account's work number, kept by the venue's manager",
    "findings": "an inspection's findings about a venue",
    "followup_notes": "an agency officer's notes about a venue",
}

# Admin models holding personal data with no subject key: their reads are recorded
# (actor, purpose) but name nobody.
ADMIN_WITHOUT_SUBJECT_KEY = {
    "venues.venue": "the coordinator's contact details (no NIK)",
    "inspections.inspection": "findings, photos and the officers' names",
    "followups.followup": "officers' notes about a venue",
    "axes.accessattempt": "staff's failed sign-ins: a typed name and an address",
    "axes.accessfailurelog": "staff's failed sign-ins: a typed name and an address",
    "axes.accesslog": "staff's sign-ins: a name and an address",
    "otp_static.staticdevice": "staff's backup codes (staff have no person of their own)",
    "otp_totp.totpdevice": "staff's authenticator apps (staff have no person of their own)",
}


def _citizen_of(secret: str) -> str | None:
    for prefix, nik in CITIZENS.items():
        if secret.startswith(prefix):
            return str(nik)
    return None


def test_every_secret_of_the_world_is_classified(in_world: World) -> None:
    unclassified = [
        key for key in in_world.secrets if _citizen_of(key) is None and key not in NOT_A_CITIZENS
    ]
    assert unclassified == [], "say whose personal data these are (CITIZENS or NOT_A_CITIZENS)"


def _shown_citizens(world: World, text: str) -> dict[str, list[str]]:
    """NIK blind index -> the secrets of that citizen the text shows."""
    lowered = text.lower()
    shown: dict[str, list[str]] = {}
    for key, secret in world.secrets.items():
        nik = _citizen_of(key)
        if nik is not None and secret.lower() in lowered:
            shown.setdefault(nik_index(nik), []).append(key)
    return shown


def _last_id() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _reads_since(last: int, actor: Any) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(pk__gt=last, actor=actor)
        .exclude(purpose="")
        .prefetch_related("subjects")
        .order_by("pk")
    )


def _subjects(events: list[AuditEvent]) -> set[str]:
    return {s.nik_index for e in events for s in e.subjects.all()}


def _assert_no_clear_identifiers(world: World, last: int) -> None:
    rows = AuditEvent.objects.filter(pk__gt=last)
    stored = json.dumps([[e.detail, e.object_id] for e in rows], ensure_ascii=False)
    clear = [key for key in PLAINTEXT if world.secrets[key] in stored]
    assert clear == [], f"audit rows hold {clear} in clear"


# --- Django admin ------------------------------------------------------------------------


def _label(model: type[Model]) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


REGISTERED = sorted(_label(m) for m in admin.site._registry)


def test_every_admin_model_is_audited_or_holds_no_personal_data() -> None:
    for label in REGISTERED:
        model_admin = admin.site._registry[_model(label)]
        audited = isinstance(model_admin, AuditedReadsAdmin)
        assert audited != (label in ADMIN_WITHOUT_PERSONAL_DATA), (
            f"{label}: derive its ModelAdmin from jejak.audit.admin_reads.AuditedReadsAdmin, "
            "or list it in authz_matrix.ADMIN_WITHOUT_PERSONAL_DATA with the reason"
        )
    assert sorted(set(ADMIN_WITHOUT_SUBJECT_KEY) - set(REGISTERED)) == [], "stale entries"
    # Autocomplete answers searches with rows' names outside the audited views.
    for model_admin in admin.site._registry.values():
        for name in getattr(model_admin, "autocomplete_fields", ()):
            target = model_admin.model._meta.get_field(name).related_model
            assert target is not None
            assert (
                _label(target) in ADMIN_WITHOUT_PERSONAL_DATA
                or _label(target) in ADMIN_WITHOUT_SUBJECT_KEY
            ), f"{_label(model_admin.model)}.{name} autocompletes personal data"


def _model(label: str) -> type[Model]:
    return next(m for m in admin.site._registry if _label(m) == label)


def _axes(model: type[Model]) -> Callable[[World], Any]:
    def make(world: World) -> Any:
        fields: dict[str, Any] = {
            "user_agent": "Firefox",
            "ip_address": "198.51.100.7",
            "username": "authz-health",
            "http_accept": "*/*",
            "path_info": "/masuk-petugas/",
        }
        if model is AccessAttempt:
            fields.update(get_data="", post_data="", failures_since_start=1)
        return model.objects.create(**fields)  # type: ignore[attr-defined]

    return make


# Rows the world lacks, made here (a read of an empty table shows nobody).
MAKERS: dict[str, Callable[[World], Any]] = {
    "health.travelquarantine": lambda w: TravelQuarantine.objects.create(
        nik_index=nik_index(SARI_NIK),
        source="manual",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + dt.timedelta(days=5),
    ),
    "health.vaccinationexemption": lambda w: VaccinationExemption.objects.create(
        nik_index=nik_index(SARI_NIK), source="manual", starts_on=timezone.localdate()
    ),
    "axes.accessattempt": _axes(AccessAttempt),
    "axes.accessfailurelog": _axes(AccessFailureLog),
    "axes.accesslog": _axes(AccessLog),
    "otp_static.staticdevice": lambda w: StaticDevice.objects.create(
        user=w.users["health_officer"], name="backup"
    ),
    "otp_totp.totpdevice": lambda w: TOTPDevice.objects.create(
        user=w.users["health_officer"], name="phone"
    ),
}

AUDITED_ADMIN = [label for label in REGISTERED if label not in ADMIN_WITHOUT_PERSONAL_DATA]


@pytest.mark.parametrize("label", AUDITED_ADMIN)
def test_admin_list_and_detail_are_audited_reads(in_world: World, label: str) -> None:
    model = _model(label)
    model_admin = admin.site._registry[model]
    assert isinstance(model_admin, AuditedReadsAdmin)
    manager = model._default_manager
    if not manager.exists():
        assert label in MAKERS, f"the world has no {label} row: add a maker to MAKERS"
        MAKERS[label](in_world)
    issuer = in_world.users["issuer"]
    client = in_world.session_client("issuer")
    info = (model._meta.app_label, model._meta.model_name)
    named = label not in ADMIN_WITHOUT_SUBJECT_KEY

    last = _last_id()
    listing = client.get(reverse("admin:{}_{}_changelist".format(*info)))
    assert listing.status_code == 200
    [read] = _reads_since(last, issuer)
    assert read.action.endswith(".admin_list") and read.purpose and read.actor_role == Role.ISSUER
    subjects = _subjects([read])
    assert bool(subjects) is named, f"{label}: list read names {len(subjects)} people"
    missing = set(_shown_citizens(in_world, _text(listing))) - subjects
    assert missing == set(), f"{label}: the list shows people its audit row does not name"

    # A row that names somebody, when the model's rows do.
    rows = list(manager.all()[:200])
    row = next((r for r in rows if any(model_admin.read_subjects([r]))), rows[0])
    last = _last_id()
    detail = client.get(reverse("admin:{}_{}_change".format(*info), args=[row.pk]))
    assert detail.status_code == 200
    [read] = _reads_since(last, issuer)
    assert read.action.endswith(".admin_view") and read.purpose
    assert read.object_id == str(row.pk)
    subjects = _subjects([read])
    assert bool(subjects) is named
    missing = set(_shown_citizens(in_world, _text(detail))) - subjects
    assert missing == set(), f"{label}: the page shows people its audit row does not name"
    _assert_no_clear_identifiers(in_world, 0)


def test_a_phone_number_searched_in_the_user_list_is_found_and_kept_masked(
    in_world: World,
) -> None:
    issuer = in_world.users["issuer"]
    sari = in_world.users["sari"]
    typed = "0" + in_world.secrets["sari_phone"].removeprefix("+62")
    last = _last_id()
    page = in_world.session_client("issuer").get(
        reverse("admin:accounts_user_changelist"), {"q": typed}
    )
    assert sari.username in page.content.decode()
    [read] = _reads_since(last, issuer)
    assert read.detail["search"] == sari.phone_masked
    assert _subjects([read]) == {nik_index(SARI_NIK)}
    _assert_no_clear_identifiers(in_world, last)


# --- The API and pages of the authorization matrix ---------------------------------------

# A refusal that names a missing capability asks nothing about anyone: not a look-up.
CAPABILITY_REFUSALS = {"forbidden", "visitor_only", "second_factor_required", ""}


def _looked_up(row: Row, caller: str) -> bool:
    expected = row.outcomes[caller]
    if not expected.refused:
        return False
    return expected.status == 404 or (
        expected.status == 403 and expected.code not in CAPABILITY_REFUSALS
    )


@pytest.mark.parametrize("row", [r for r in ROWS if r.kind != "admin"], ids=lambda r: r.label)
def test_reads_of_personal_data_are_audited(in_world: World, row: Row) -> None:
    right = in_world.users[row.right]
    owner = right.role == Role.VISITOR  # a citizen's own data (and her family's)

    # Another city's officer first: the right caller's write may change what follows.
    other_key = f"other_{row.other_city or row.right}"
    other = in_world.users.get(other_key)
    last = _last_id()
    _send(in_world, row, _client(in_world, row, "other_city_officer"))
    refused_reads = _reads_since(last, other) if other is not None else []

    last = _last_id()
    response = _send(in_world, row, _client(in_world, row, "right_role"))
    reads = _reads_since(last, right)
    shown = _shown_citizens(in_world, _text(response))
    _assert_no_clear_identifiers(in_world, 0)
    if owner:
        return

    missing = {key: secrets for key, secrets in shown.items() if key not in _subjects(reads)}
    assert missing == {}, (
        f"{row.label}: the answer shows {sorted(s for v in missing.values() for s in v)} "
        f"but its audited reads ({[e.action for e in reads]}) do not name them; use "
        "audit.service.record_read with the people's nik_index"
    )
    for event in reads:
        assert event.purpose and event.actor_id == right.pk
    if reads and _looked_up(row, "other_city_officer"):
        assert refused_reads, f"{row.label}: another city's refused look-up left no audited read"


# --- Reads the world does not show by itself ---------------------------------------------


def test_a_cases_notifications_name_their_recipients(in_world: World) -> None:
    officer = in_world.users["health_officer"]
    case_id = in_world.values["case_id"]
    client = in_world.session_client("health_officer")
    designated = client.post(
        f"/api/v1/tracing/cases/{case_id}/designate", "{}", content_type="application/json"
    )
    assert designated.status_code == 200, designated.content

    last = _last_id()
    answer = client.get(f"/api/v1/tracing/cases/{case_id}/notifications")
    assert answer.status_code == 200 and answer.json()
    [read] = _reads_since(last, officer)
    assert read.action == "tracing.notifications.read" and read.purpose == "tracing"
    assert nik_index(AHMAD_NIK) in _subjects([read])


def test_reading_ones_own_inbox_is_no_audited_read(in_world: World) -> None:
    last = _last_id()
    assert in_world.session_client("sari").get(reverse("notifications")).status_code == 200
    assert in_world.bearer_client("sari").get("/api/v1/me/notifications").status_code == 200
    assert not AuditEvent.objects.filter(pk__gt=last).exists()


def test_an_officers_alert_about_someone_is_an_audited_read(in_world: World) -> None:
    officer = in_world.users["health_officer"]
    client = in_world.session_client("health_officer")
    last = _last_id()
    assert client.get(reverse("notifications")).status_code == 200
    [read] = _reads_since(last, officer)
    assert (read.action, read.purpose) == ("notifications.inbox_read", "notification")
    assert _subjects([read]) == {nik_index(SARI_NIK)}

    message_id = read.detail["messages"][0]
    last = _last_id()
    assert client.get(reverse("notification", args=[message_id])).status_code == 200
    [read] = _reads_since(last, officer)
    assert _subjects([read]) == {nik_index(SARI_NIK)}


def test_a_refused_look_up_names_the_person_asked_about(in_world: World) -> None:
    other = in_world.users["other_health_officer"]
    client = in_world.session_client("other_health_officer")
    last = _last_id()
    answer = client.post(
        "/api/v1/status/lookup",
        {"nik": SARI_NIK, "purpose": "Ingin tahu"},
        content_type="application/json",
    )
    assert answer.json()["code"] == "outside_jurisdiction"
    case = client.get(f"/api/v1/tracing/cases/{in_world.values['case_id']}")
    assert case.status_code == 404
    reads = _reads_since(last, other)
    assert [e.action for e in reads] == ["screening.status_lookup", "tracing.refused"]
    assert all(_subjects([e]) == {nik_index(SARI_NIK)} for e in reads)


def test_the_operators_status_command_is_an_audited_read(in_world: World) -> None:
    last = _last_id()
    call_command("status", SARI_NIK, stdout=io.StringIO())
    [read] = AuditEvent.objects.filter(pk__gt=last)
    assert (read.action, read.purpose, read.actor_id) == (
        "screening.status_cli",
        "status_check",
        None,
    )
    assert set(AuditSubject.objects.filter(event=read).values_list("nik_index", flat=True)) == {
        nik_index(SARI_NIK)
    }
