"""The world the authorization matrix runs in (test_authorization_matrix.py): one subject
with every kind of personal data the product keeps, the people around her, and one
caller of each kind the matrix asks about. Built once per module, inside a transaction
the module rolls back; each test runs in a savepoint of its own.

The subject is the demo's positive citizen, Sari Hitam of Kota Tangerang: her profile and
a dependant, a phone number, health records (status hitam), check-ins (one refused at the
door, which raised a black-status alert; one stay inside her infectious window), an open
tracing case whose contact search found Ahmad Hijau, a cluster alert, a dependant
request waiting for an officer, an identity refusal of her NIK, an in-app message, API
tokens and an entry on a venue's staff roster. Her venue, the city hall (PUSPEM-TNG),
has a manager, a staff member, an inspection with findings and a photo, a follow-up and
an installation photo. Another venue of the same city, a venue of another city
(Kota Tangerang Selatan) and each officer role in both cities complete it.
"""

from __future__ import annotations

import datetime as dt
import io
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any, cast

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, set_token_value

from jejak.accounts.models import ApiToken, User
from jejak.accounts.roles import Role
from jejak.breaches import service as breaches
from jejak.breaches.selection import Selection
from jejak.checkins import record
from jejak.checkins.alerts import notify_unnotified_alerts
from jejak.checkins.models import BlackStatusAlert, CheckIn
from jejak.demo.visitors import CITIZENS, nik_for
from jejak.followups.models import FollowUp
from jejak.followups.service import do_record_followup
from jejak.identity.models import Resident
from jejak.identity.tests.factories import register_resident
from jejak.inspections import service as inspections
from jejak.inspections.models import ChecklistItem, InspectionPhoto, Sanction
from jejak.notifications.models import Message
from jejak.partners import service as partners
from jejak.partners.models import Connection
from jejak.people import approvals
from jejak.people import service as people
from jejak.people.masking import mask_nik
from jejak.people.models import IdentityRefusal, Person
from jejak.people.nik import nik_index
from jejak.regions.tests.factories import city_with_districts
from jejak.rights.build import run_export
from jejak.rights.models import ExportRequest
from jejak.rosters.tests.factories import put_on_roster
from jejak.screening.tests.factories import dose
from jejak.tracing import cases
from jejak.tracing.models import ClusterAlert, Contact, TracingRun
from jejak.tracing.search import search_contacts
from jejak.tracing.tests.conftest import stay
from jejak.venues.models import Venue, VenueTransition
from jejak.venues.tests.factories import VenueFactory
from jejak.venues.workflow import do_transition
from jejak.visits.tests.conftest import build_mini_demo

SARI_PHONE, SARI_NAME, SARI_BORN, SARI_SEX, _ = CITIZENS[3]
SARI_NIK = nik_for(SARI_BORN, SARI_SEX, 4)
AHMAD_PHONE, AHMAD_NAME, AHMAD_BORN, AHMAD_SEX, _ = CITIZENS[0]
AHMAD_NIK = nik_for(AHMAD_BORN, AHMAD_SEX, 1)

# Sari's brother on her family card: her dependant.
BROTHER: dict[str, Any] = {
    "nik": nik_for(dt.date(2001, 9, 30), "M", 503),
    "full_name": "Bima Hitam",
    "birth_date": dt.date(2001, 9, 30),
    "sex": "M",
}
# Her sister on the same card, not added yet: the dependant she may add.
SISTER: dict[str, Any] = {
    "nik": nik_for(dt.date(2003, 4, 21), "F", 504),
    "full_name": "Wulan Hitam",
    "birth_date": dt.date(2003, 4, 21),
    "sex": "F",
}
# Her mother, on a family card of her own: asked for through an officer.
MOTHER: dict[str, Any] = {
    "nik": nik_for(dt.date(1966, 12, 1), "F", 505),
    "full_name": "Ratna Ibunda",
    "birth_date": dt.date(1966, 12, 1),
    "sex": "F",
}
# Her aunt, on another card too: asked for in the matrix's requests.
AUNT: dict[str, Any] = {
    "nik": nik_for(dt.date(1970, 6, 15), "F", 507),
    "full_name": "Sumi Bibi",
    "birth_date": dt.date(1970, 6, 15),
    "sex": "F",
}
# The registry's record of Sari under a corrected NIK (another serial): what an officer
# corrects her verified identity to, with her KTP in front of them.
SARI_CORRECTED_NIK = nik_for(SARI_BORN, SARI_SEX, 506)

COORDINATOR = {
    "coordinator_name": "Hendra Koordinator",
    "coordinator_email": "hendra.koordinator@example.org",
    "coordinator_phone": "+6281233334444",
}
REVIEW_COORDINATOR_EMAIL = "rina.pemohon@example.org"
STAFF_PHONE = "+6281255556666"
FINDINGS = "Pintu timur tanpa poster; antrean padat"
FOLLOWUP_NOTES = "Koordinator dihubungi soal pemindaian"
MESSAGE_SUBJECT = "Hasil laboratorium untuk Anda"
MESSAGE_BODY = "Hasil PCR Anda positif. Lakukan isolasi mandiri."
BREACH_TITLE = "Ekspor riwayat check-in tersebar"
PARTNER_NAME = "Mitra Uji Ojek"


def png(name: str = "foto.png") -> SimpleUploadedFile:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# What no one but the owner ever sees in full: officers' pages and lists show the masked
# forms (docs/architecture.md, "Personal data").
PLAINTEXT = ("sari_nik", "sari_phone", "brother_nik", "mother_nik", "ahmad_nik", "ahmad_phone")


@dataclass
class World:
    """Everything a row needs: `values` fills paths and bodies, `secrets` are the
    personal data no refused caller may see, `markers` other text a right caller's
    answer shows (a venue's code), `users` the callers."""

    values: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    markers: dict[str, str] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)

    def session_client(self, user_key: str) -> Client:
        """A client signed in as this user through the session made at build time (a
        test that ends the session gets it back when its savepoint rolls back)."""
        client = Client()
        client.cookies["sessionid"] = self.sessions[user_key]
        return client

    def bearer_client(self, user_key: str) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Bearer {self.tokens[user_key]}")


def _staff(key: str, role: str, **kwargs: Any) -> User:
    sectors = kwargs.pop("sectors", [])
    venues = kwargs.pop("venues", [])
    # No password: clients sign in with force_login (and hashing one costs a second).
    user = User(username=f"authz-{key}", role=role, **kwargs)
    user.set_unusable_password()
    user.save()
    user.sectors.set(sectors)
    user.venues.set(venues)
    return user


def build_world() -> World:
    world = World()
    now = timezone.now()
    today = timezone.localdate()
    demo = build_mini_demo()
    venue = demo.venue
    for name, value in COORDINATOR.items():
        setattr(venue, name, value)
    venue.save(update_fields=list(COORDINATOR))
    city = venue.region.parent
    assert city is not None
    other_city = city_with_districts(code="36.74", name="Kota Tangerang Selatan")
    # Another venue of the city, waiting for the issuer's review with its coordinator.
    other_venue = cast(
        Venue,
        VenueFactory(
            region=city.children.order_by("code").last(),
            sector=venue.sector,
            coordinator_email=REVIEW_COORDINATOR_EMAIL,
        ),
    )
    do_transition(venue=other_venue, action="submit", actor=None)
    # A venue of the other city: its officers' jurisdiction is not empty.
    VenueFactory(region=other_city.children.first(), sector=venue.sector)

    sari, dewi, ahmad = demo.visitors["hitam"], demo.visitors["kuning"], demo.visitors["hijau"]
    u = world.users
    u.update(sari=sari, dewi=dewi, ahmad=ahmad)
    u["venue_manager"] = _staff("manager", Role.VENUE_MANAGER, venues=[venue])
    u["venue_staff"] = _staff("staff", Role.VENUE_STAFF, venues=[venue], phone=STAFF_PHONE)
    u["other_venue_manager"] = _staff("other-manager", Role.VENUE_MANAGER, venues=[other_venue])
    u["issuer"] = _staff("issuer", Role.ISSUER, is_staff=True)
    for prefix, region in (("", city), ("other_", other_city)):
        u[f"{prefix}health_officer"] = _staff(f"{prefix}health", Role.HEALTH_OFFICER, region=region)
        u[f"{prefix}city_admin"] = _staff(f"{prefix}admin", Role.CITY_ADMIN, region=region)
        u[f"{prefix}enforcement_officer"] = _staff(
            f"{prefix}satpol", Role.ENFORCEMENT_OFFICER, region=region
        )
        u[f"{prefix}agency_officer"] = _staff(
            f"{prefix}agency", Role.AGENCY_OFFICER, region=region, sectors=[venue.sector]
        )

    # --- Sari's family, and the residents an officer decides about -------------------
    sari_self = Person.objects.get(account=sari, relation="self")
    card = sari_self.family_card_index
    for resident in (BROTHER, SISTER):
        register_resident(**resident)
    Resident.objects.filter(
        nik_index__in=[nik_index(BROTHER["nik"]), nik_index(SISTER["nik"])]
    ).update(family_card_index=card)
    register_resident(**MOTHER, family_card="3671010101990505")
    register_resident(**AUNT, family_card="3671010101990507")
    register_resident(
        nik=SARI_CORRECTED_NIK,
        full_name=SARI_NAME,
        birth_date=SARI_BORN,
        sex=SARI_SEX,
        family_card="3671010101990506",
    )
    brother = people.add_dependant(account=sari, relation="other", **BROTHER)
    for build in (dose(1), dose(2), dose(3)):
        build(nik_index(BROTHER["nik"]), now)
    request = approvals.request_dependant(
        account=sari, relation="parent", reason="Ibu saya tinggal sendiri", **MOTHER
    )
    IdentityRefusal.objects.create(
        account=dewi,
        nik_index=nik_index(SARI_NIK),
        nik_masked=mask_nik(SARI_NIK),
        outcome="name_mismatch",
        backend="registry_file",
        purpose="dependant",
    )

    # --- Check-ins: one refused at the door (a black-status alert), stays to trace ----
    nonce = uuid.uuid4()
    record.record_checkins(
        account=sari, qr=demo.token, nonce=nonce, people=["self"], visitor_type="guest"
    )
    refused = CheckIn.objects.get(request__nonce=nonce)
    alert = BlackStatusAlert.objects.get(checkin=refused)
    # What the task does after the check-in commits: tell the venue's staff and the
    # health officers of Sari's home region (the module's transaction never commits).
    notify_unnotified_alerts(older_than=0)
    ahmad_self = Person.objects.get(account=ahmad, relation="self")
    start = now.replace(microsecond=0) - dt.timedelta(hours=30)
    sari_stay = stay(sari_self, venue, start, start + dt.timedelta(hours=2))
    stay(ahmad_self, venue, start, start + dt.timedelta(hours=2))

    case = cases.open_case(person=sari_self, actor=None, specimen_date=today - dt.timedelta(days=1))
    search_contacts(case=case, actor=None)
    contact = Contact.objects.get(case=case, person=ahmad_self)
    cluster = ClusterAlert.objects.create(
        venue=venue, period_start=start, period_end=start + dt.timedelta(hours=2)
    )
    cluster.cases.add(case)
    # A mass tracing run of an import (counts only: the officers' progress page).
    run = TracingRun.objects.create(
        source="lab.csv", status="finished", total=1, processed=1, opened=1, searched=1
    )

    # A stay she is still in (after the case was opened: not one of its visits).
    open_stay = stay(sari_self, venue, now - dt.timedelta(minutes=10))

    # --- Her account: a message, tokens, a roster entry ---------------------------------
    message = Message.objects.create(
        to_user=sari,
        channel="inapp",
        template="authz",
        subject=MESSAGE_SUBJECT,
        body=MESSAGE_BODY,
        status="sent",
    )
    second_token, _raw = ApiToken.issue(user=sari, name="tablet")
    entry = put_on_roster(venue, account=sari)

    # --- The venue's side: inspections, a follow-up, the installation photo -----------
    enforcement = u["enforcement_officer"]
    inspection = inspections.do_plan_inspection(actor=enforcement, venue=venue, planned_for=today)
    inspections.do_record_inspection(
        actor=enforcement,
        inspection=inspection,
        checklist={item.value: inspections.Answer("fail", "") for item in ChecklistItem},
        findings=FINDINGS,
        sanction=Sanction.TEMPORARY_CLOSURE,
        # Tomorrow: the closure exists (it can be lifted) but does not shut the door today.
        closure_starts_at=now + dt.timedelta(days=1),
        closure_ends_at=now + dt.timedelta(days=2),
        photos=[png()],
    )
    photo = InspectionPhoto.objects.get(inspection=inspection)
    planned = inspections.do_plan_inspection(
        actor=enforcement, venue=venue, planned_for=today + dt.timedelta(days=3)
    )
    followup = do_record_followup(
        actor=u["agency_officer"], venue=venue, kind="contacted", notes=FOLLOWUP_NOTES
    )
    # Past its deadline (set afterwards: the service refuses a deadline in the past).
    FollowUp.objects.filter(pk=followup.pk).update(deadline=today - dt.timedelta(days=2))
    installed = do_transition(venue=venue, action="install", actor=None, photo=png("pasang.png"))
    assert isinstance(installed, VenueTransition)

    # --- A personal-data breach at the venue: its notices drafted (Sari, Ahmad) ---------
    breach = breaches.record_breach(
        actor=None,
        title=BREACH_TITLE,
        description="Berkas ekspor dibagikan di grup percakapan.",
        discovered_at=now - dt.timedelta(hours=2),
        data_classes=["name", "checkin_history"],
    )
    breaches.set_selection(
        actor=None, breach=breach, selection=Selection(venues=(venue.short_code,))
    )
    breaches.draft_notices(actor=None, breach=breach)

    for key in ("sari", "dewi"):
        world.tokens[key] = ApiToken.issue(user=u[key], name="phone")[1]
    # A partner app Sari connected (partners app): its access token for her.
    world.tokens["sari_partner"], connection = _partner_token(sari)
    # Sari's copy of her data, built and not yet expired (rights app).
    sari_export = ExportRequest.objects.create(account=sari, format="json")
    run_export(sari_export.public_id)
    local = timezone.localtime
    world.values.update(
        today=today.isoformat(),
        sari_id=sari.pk,
        sari_person_id=sari_self.pk,
        sari_token_id=ApiToken.objects.get(user=sari, name="phone").pk,
        sari_export_id=sari_export.public_id,
        sari_connection_id=connection.pk,
        brother=BROTHER,
        ahmad_phone=AHMAD_PHONE,
        entry_point_id=venue.entry_points.order_by("position").first().pk,  # type: ignore[union-attr]
        nonce_done=str(nonce),
        sari_checkins=CheckIn.objects.filter(person=sari_self).count(),
        open_checkin_public_id=open_stay.public_id,
        open_nonce=str(open_stay.request.nonce),
        window_start_local=local(case.window_start).strftime("%Y-%m-%d %H:%M"),
        window_end_local=(local(case.window_end) - dt.timedelta(hours=1)).strftime(
            "%Y-%m-%d %H:%M"
        ),
        short_code=venue.short_code,
        other_short_code=other_venue.short_code,
        qr=demo.token,
        case_id=case.pk,
        contact_id=contact.pk,
        alert_id=cluster.pk,
        run_id=run.pk,
        black_alert_id=alert.pk,
        message_id=message.pk,
        token_id=second_token.pk,
        dependant_public_id=brother.public_id,
        request_public_id=request.public_id,
        checkin_public_id=sari_stay.public_id,
        nonce=str(uuid.uuid4()),
        entry_id=entry.pk,
        inspection_id=inspection.pk,
        planned_inspection_id=planned.pk,
        photo_id=photo.pk,
        followup_id=followup.pk,
        transition_id=installed.pk,
        breach_public_id=breach.public_id,
        staff_id=u["venue_staff"].pk,
        sari_nik=SARI_NIK,
        ahmad_nik=AHMAD_NIK,
        corrected_nik=SARI_CORRECTED_NIK,
        window_start=case.window_start.isoformat(),
        window_end=(case.window_end - dt.timedelta(hours=1)).isoformat(),
    )
    world.secrets.update(
        sari_nik=SARI_NIK,
        sari_nik_masked=mask_nik(SARI_NIK),
        sari_name=SARI_NAME,
        sari_phone=SARI_PHONE,
        sari_phone_masked=sari.phone_masked,
        brother_nik=BROTHER["nik"],
        brother_name=str(BROTHER["full_name"]),
        mother_nik=str(MOTHER["nik"]),
        mother_name=str(MOTHER["full_name"]),
        ahmad_nik=AHMAD_NIK,
        ahmad_nik_masked=mask_nik(AHMAD_NIK),
        ahmad_name=AHMAD_NAME,
        ahmad_phone=AHMAD_PHONE,
        ahmad_phone_masked=ahmad.phone_masked,
        coordinator_email=COORDINATOR["coordinator_email"],
        coordinator_phone=COORDINATOR["coordinator_phone"],
        staff_phone=STAFF_PHONE,
        findings=FINDINGS,
        followup_notes=FOLLOWUP_NOTES,
        message_body=MESSAGE_BODY,
        message_subject=MESSAGE_SUBJECT,
        review_coordinator_email=REVIEW_COORDINATOR_EMAIL,
    )
    world.markers.update(
        venue_code=venue.short_code,
        sari_username=sari.username,
        venue_name=venue.name,
        sister_nik=str(SISTER["nik"]),
        breach_title=BREACH_TITLE,
        partner_name=PARTNER_NAME,
    )
    for key, user in u.items():
        client = Client()
        client.force_login(user)
        world.sessions[key] = client.cookies["sessionid"].value
    # The partner acts for Sari with her consent: her data, read through its token (the
    # partner's own audit rows are the partners app's tests').
    u["sari_partner"] = sari
    return world


def _partner_token(account: User) -> tuple[str, Connection]:
    """An approved partner, the citizen's consent to it and an access token it holds (as
    the code flow leaves them: partners/tests/test_flow.py runs the flow itself)."""
    registered = partners.do_register(
        name=PARTNER_NAME,
        organisation="PT Mitra Uji",
        contact="it@mitra.example",
        redirect_uris=["https://mitra.example/cb"],
        allowed_scopes=["checkin", "status:read", "history:read"],
        confidential=True,
    )
    partners.do_set_status(partner=registered.partner, status="approved")
    scope = "checkin status:read history:read"
    application = registered.partner.application
    connection = partners.record_consent(
        account=account, application=application, scopes=scope.split()
    )
    raw = secrets.token_urlsafe(30)
    token = AccessToken(
        user=account,
        application=application,
        expires=timezone.now() + dt.timedelta(hours=1),
        scope=scope,
    )
    set_token_value(token, raw)
    token.save()
    return raw, connection
