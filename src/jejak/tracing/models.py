"""Cases, their contacts, exposure sites and cluster alerts; the per-sector weights that
turn shared minutes into a risk score.

Written only through the tracing workflow (cases.py, window.py, search.py, designation.py,
clusters.py). A case names a person; everything else hangs off the case, so access to
contact data is always bound to a purpose (the case) and audited.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Setting(models.TextChoices):
    INDOOR = "indoor", _("Dalam ruangan")
    MIXED = "mixed", _("Campuran")
    OUTDOOR = "outdoor", _("Luar ruangan")


# What a venue of a sector with no row weighs: an indoor room, the WHO's 15 minutes.
DEFAULT_WEIGHT = Decimal("1.0")
DEFAULT_MIN_CONTACT_MINUTES = 15
DEFAULT_CLUSTER_PERIOD_DAYS = 7


class VenueTypeWeight(models.Model):
    """How much a minute shared at a venue of this sector counts (data, editable in admin).

    A sub-category without a row of its own uses its top-level sector's row.
    """

    sector = models.OneToOneField(
        "sectors.Sector", on_delete=models.CASCADE, related_name="tracing_weight"
    )
    setting = models.CharField(_("ruang"), max_length=10, choices=Setting.choices)
    weight = models.DecimalField(
        _("bobot"),
        max_digits=4,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Pengali menit kontak untuk skor risiko (dalam ruangan 1,0)."),
    )
    min_contact_minutes = models.PositiveSmallIntegerField(
        _("menit minimum kontak"), default=DEFAULT_MIN_CONTACT_MINUTES,
        validators=[MinValueValidator(1)],
    )  # fmt: skip
    cluster_period_days = models.PositiveSmallIntegerField(
        _("periode klaster (hari)"), default=DEFAULT_CLUSTER_PERIOD_DAYS,
        validators=[MinValueValidator(1)],
    )  # fmt: skip

    class Meta:
        verbose_name = pgettext_lazy("model name", "bobot jenis tempat")
        verbose_name_plural = pgettext_lazy("model name plural", "bobot jenis tempat")
        ordering = ["sector__position"]

    def __str__(self) -> str:
        return f"{self.sector}: {self.weight} ({self.min_contact_minutes} min)"


class TracingProfile(models.Model):
    """One version of a tracing profile: the rules of a contact search for a pathogen
    (tracing/profiles.py validates and compiles the document). Never edited: a change
    is a new version, so every search stays explained by the rules it used."""

    slug = models.SlugField(_("kode"), max_length=40)
    version = models.PositiveIntegerField(_("versi"))
    name = models.CharField(_("nama"), max_length=100)
    pathogen = models.CharField(_("patogen"), max_length=100)
    document = models.JSONField()
    loaded_at = models.DateTimeField(default=timezone.now)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = pgettext_lazy("model name", "profil pelacakan")
        verbose_name_plural = pgettext_lazy("model name plural", "profil pelacakan")
        ordering = ["slug", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="tracing_profile_version")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug} v{self.version})"

    @property
    def label(self) -> str:
        return f"{self.slug} v{self.version}"


class CaseSource(models.TextChoices):
    LAB_RESULT = "lab_result", _("Hasil lab positif")
    MANUAL = "manual", _("Dibuka petugas")
    CONTACT = "contact", _("Kontak dari kasus lain")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Terbuka")
    CONTACTS_IDENTIFIED = "contacts_identified", _("Kontak teridentifikasi")
    NOTIFIED = "notified", _("Kontak diberi tahu")
    CLOSED = "closed", _("Ditutup")


class Case(models.Model):
    """One confirmed (or, from a contact, suspected) case under investigation."""

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="cases")
    source = models.CharField(max_length=12, choices=CaseSource.choices)
    lab_result = models.ForeignKey(
        "health.LabResult", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    parent_case = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="child_cases"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    specimen_date = models.DateField(_("tanggal spesimen"))
    symptom_onset = models.DateField(_("mulai gejala"), null=True, blank=True)
    isolation_started_at = models.DateTimeField(_("mulai isolasi"))
    # The infectious window searched for contacts. Default rule in window.default_window;
    # every change is kept in CaseWindowChange with its reason.
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    # The rules the case is traced with (chosen when it is opened; the deployment's
    # default otherwise), and the version the last search used.
    profile = models.ForeignKey(
        TracingProfile, null=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("profil pelacakan"),
    )  # fmt: skip
    searched_with = models.ForeignKey(
        TracingProfile, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=CaseStatus.choices, default=CaseStatus.OPEN, db_index=True
    )
    # The regency of the person's NIK (its first four digits, "36.71"): whose health
    # officers see the case, like checkins' black-status alerts.
    home_region_code = models.CharField(max_length=20, blank=True, db_index=True)
    searched_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model name", "kasus")
        verbose_name_plural = pgettext_lazy("model name plural", "kasus")
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return f"case {self.pk} ({self.person.nik_masked})"


class CaseWindowChange(models.Model):
    """An officer moved the infectious window: from what, to what, and why."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="window_changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    old_start = models.DateTimeField()
    old_end = models.DateTimeField()
    new_start = models.DateTimeField()
    new_end = models.DateTimeField()
    reason = models.CharField(max_length=300)

    class Meta:
        verbose_name = pgettext_lazy("model name", "perubahan jendela penularan")
        verbose_name_plural = pgettext_lazy("model name plural", "perubahan jendela penularan")
        ordering = ["case_id", "changed_at", "id"]

    def __str__(self) -> str:
        return f"case {self.case_id} window @ {self.changed_at:%Y-%m-%d %H:%M}"


class CaseVisit(models.Model):
    """One admitted stay of the case inside its window, with the aerosol tail: what makes
    a venue an exposure site, counts towards a cluster, and shows the case, in part, to
    the health officers of the venue's region (tracing/access.py)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="visits")
    # No constraint: check-ins are partitioned by day on PostgreSQL. The visit keeps its
    # venue and times, so nothing reads the check-in through it; a check-in that goes
    # takes its visits with it (Django's cascade, or checkins/partitions.py when its day
    # is dropped), and one a hold keeps moves to checkins.HeldCheckIn under the same id.
    checkin = models.ForeignKey(
        "checkins.CheckIn", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    venue = models.ForeignKey("venues.Venue", on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()

    class Meta:
        verbose_name = pgettext_lazy("model name", "kunjungan kasus")
        verbose_name_plural = pgettext_lazy("model name plural", "kunjungan kasus")
        ordering = ["case_id", "start"]
        constraints = [
            models.UniqueConstraint(fields=["case", "checkin"], name="case_visit_unique")
        ]
        indexes = [models.Index(fields=["venue", "start"], name="case_visit_venue")]

    def __str__(self) -> str:
        return f"case {self.case_id} @ {self.venue_id} {self.start:%Y-%m-%d %H:%M}"


class Contact(models.Model):
    """A person who shared a venue with the case, with the minutes and the score.

    `is_close` says whether the shared minutes reach the threshold (close contact);
    below it the person only gets the informational notice.
    """

    # No index of its own: contact_unique_per_case's (case, person) serves look-ups by
    # case, and a mass run writes hundreds of contacts a case.
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="contacts", db_index=False
    )
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveIntegerField(default=0)
    score = models.DecimalField(max_digits=10, decimal_places=1)
    seconds = models.PositiveIntegerField()
    is_close = models.BooleanField(default=False)
    is_employee = models.BooleanField(default=False)
    last_exposure_at = models.DateTimeField()
    # [{venue_id, venue, short_code, sector, start, end, minutes, weight, employee}]
    visits = models.JSONField(default=list)
    designated_at = models.DateTimeField(null=True, blank=True)
    designated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    designation = models.ForeignKey(
        "health.Designation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notified_at = models.DateTimeField(null=True, blank=True)
    # Set when a below-threshold visitor was sent the informational notice.
    informed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model name", "kontak")
        verbose_name_plural = pgettext_lazy("model name plural", "kontak")
        ordering = ["case_id", "rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "person"], name="contact_unique_per_case")
        ]

    def __str__(self) -> str:
        return f"case {self.case_id} contact {self.person_id}"

    @property
    def minutes(self) -> int:
        return self.seconds // 60

    @property
    def duration(self) -> str:
        """ "14:59": minutes and seconds, so a contact just under a minimum reads so."""
        return f"{self.seconds // 60}:{self.seconds % 60:02d}"


class ContactVenue(models.Model):
    """A venue where the contact shared time with the case: what lets the health officers
    of that venue's region see the contact of a case from elsewhere (tracing/access.py).

    Kept beside `Contact.visits` because jurisdiction is applied in querysets, and a
    JSON list cannot be filtered the same way on SQLite and PostgreSQL.
    """

    # No index of its own: contact_venue_unique's (contact, venue) serves it.
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="venues", db_index=False
    )
    venue = models.ForeignKey("venues.Venue", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = pgettext_lazy("model name", "tempat kontak")
        verbose_name_plural = pgettext_lazy("model name plural", "tempat kontak")
        constraints = [
            models.UniqueConstraint(fields=["contact", "venue"], name="contact_venue_unique")
        ]

    def __str__(self) -> str:
        return f"contact {self.contact_id} @ {self.venue_id}"


class ExposureSite(models.Model):
    """A venue and a time window in which a case was there. Public once published, without
    anything that names the case."""

    venue = models.ForeignKey("venues.Venue", on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="exposure_sites")
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model name", "lokasi paparan")
        verbose_name_plural = pgettext_lazy("model name plural", "lokasi paparan")
        ordering = ["-window_start", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "venue", "window_start"], name="exposure_site_unique"
            )
        ]
        indexes = [models.Index(fields=["published_at", "window_end"], name="exposure_public")]

    def __str__(self) -> str:
        return f"{self.venue_id} {self.window_start:%Y-%m-%d %H:%M}"


class ClusterAlert(models.Model):
    """Enough cases at one venue within its sector's period to suspect a cluster."""

    venue = models.ForeignKey("venues.Venue", on_delete=models.CASCADE, related_name="+")
    cases = models.ManyToManyField(Case, related_name="cluster_alerts")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    raised_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = pgettext_lazy("model name", "peringatan klaster")
        verbose_name_plural = pgettext_lazy("model name plural", "peringatan klaster")
        ordering = ["-raised_at", "-id"]

    def __str__(self) -> str:
        return f"cluster {self.venue_id} {self.raised_at:%Y-%m-%d}"


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Menunggu")
    RUNNING = "running", _("Berjalan")
    FINISHED = "finished", _("Selesai")
    FAILED = "failed", _("Gagal")


class TracingRun(models.Model):
    """One mass tracing run (tracing/mass.py): the cases a bulk of positive results opened,
    searched, designated and notified by the system. Counts only: no person, no case's
    details (its errors name a case by number and a reason code)."""

    source = models.CharField(_("sumber"), max_length=200, blank=True)
    status = models.CharField(
        max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The positive results' people (NIK blind indexes) and how many of them were handled.
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    opened = models.PositiveIntegerField(default=0)
    searched = models.PositiveIntegerField(default=0)
    designated_contacts = models.PositiveIntegerField(default=0)
    # Close contacts the policy left to officers, and the cases they are in.
    queued_for_officers = models.PositiveIntegerField(default=0)
    cases_for_officers = models.PositiveIntegerField(default=0)
    notified_people = models.PositiveIntegerField(default=0)
    informed_people = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    # [{"case": id or null, "step": "open"|"search"|"designate"|"notify", "code": ...}]
    errors = models.JSONField(default=list, blank=True)
    # Traced by this many tasks side by side (JEJAK_MASS_TRACE_WORKERS), then told in
    # as many parts; the parts done ("trace:0", "notify:1"), so a task delivered twice
    # does nothing twice, and the last part ends the run.
    shards = models.PositiveSmallIntegerField(default=1)
    parts_done = models.JSONField(default=list, blank=True)
    # The ids of the positive results a queued run's task will trace (row ids, not the
    # people's NIK indexes); emptied once it starts.
    pending = models.JSONField(default=list, blank=True)
    # Where each shard's last checkpoint left it ({"0": 125}: its first 125 results are
    # traced and counted), and when the run last showed progress: a worker killed in the
    # middle (a deploy, the OOM killer) leaves its task "running" for ever, and the
    # periodic runner resumes a run silent for JEJAK_MASS_TRACE_STALL_MINUTES from there
    # (mass.resume), `resumes` times at most MAX_RESUMES.
    positions = models.JSONField(default=dict, blank=True)
    touched_at = models.DateTimeField(null=True, blank=True)
    resumes = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = pgettext_lazy("model name", "proses pelacakan massal")
        verbose_name_plural = pgettext_lazy("model name plural", "proses pelacakan massal")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"run {self.pk} ({self.processed}/{self.total})"


class TracingRunCase(models.Model):
    """A case a mass run opened, and whether the system designated some of its contacts:
    their notices wait for the end of the run, which sends one message per person."""

    run = models.ForeignKey(TracingRun, on_delete=models.CASCADE, related_name="run_cases")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    designated = models.BooleanField(default=False)

    class Meta:
        verbose_name = pgettext_lazy("model name", "kasus proses pelacakan massal")
        verbose_name_plural = pgettext_lazy("model name plural", "kasus proses pelacakan massal")
        constraints = [models.UniqueConstraint(fields=["run", "case"], name="run_case_unique")]

    def __str__(self) -> str:
        return f"run {self.run_id} case {self.case_id}"
