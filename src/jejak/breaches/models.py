"""Personal-data breaches (UU 27/2022 Art. 46): what happened, whom it touched, and the
written notices owed within 3 x 24 hours of discovery to the people affected and to the
authority.

A `Breach` holds the facts and a fixed selection of the people affected (venues, check-in
dates, regions, classes of data; never free SQL). When the notices are drafted, the people
the selection finds are frozen as `BreachSubject` rows, so the notices go to the people
counted on the page, each once, however long the sending takes.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jejak.people.models import new_public_id

# Art. 46 (1): notice in writing within 3 x 24 hours of the breach's discovery.
NOTICE_PERIOD = dt.timedelta(hours=72)


class DataClass(models.TextChoices):
    NIK = "nik", _("NIK (nomor induk kependudukan)")
    NAME = "name", _("Nama")
    BIRTH_DATE = "birth_date", _("Tanggal lahir")
    PHONE = "phone", _("Nomor telepon")
    HEALTH_RECORDS = "health_records", _("Data kesehatan (vaksinasi, hasil tes, penetapan)")
    CHECKIN_HISTORY = "checkin_history", _("Riwayat check-in")
    AUDIT_IP = "audit_ip", _("Log audit dan alamat IP")


class BreachStatus(models.TextChoices):
    OPEN = "open", _("Terbuka")
    NOTIFYING = "notifying", _("Pemberitahuan sedang dikirim")
    NOTIFIED = "notified", _("Subjek data sudah diberi tahu")
    CLOSED = "closed", _("Ditutup")


class Breach(models.Model):
    """One breach of personal data, its selection of the people affected, and the duties
    it started. Written only through breaches/service.py and breaches/notices.py."""

    public_id = models.CharField(max_length=12, unique=True, default=new_public_id, editable=False)
    title = models.CharField(_("judul"), max_length=200)
    description = models.TextField(_("uraian"))
    discovered_at = models.DateTimeField(_("ditemukan"))
    occurred_from = models.DateTimeField(_("terjadi sejak"), null=True, blank=True)
    occurred_to = models.DateTimeField(_("terjadi sampai"), null=True, blank=True)
    # DataClass values: which personal data the breach exposed (told to people and the
    # authority).
    data_classes = models.JSONField(_("jenis data"), default=list)
    cause = models.TextField(_("penyebab"), blank=True)
    measures = models.TextField(_("penanganan dan pemulihan"), blank=True)
    status = models.CharField(
        max_length=10, choices=BreachStatus.choices, default=BreachStatus.OPEN
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    notified_subjects_at = models.DateTimeField(null=True, blank=True)
    reported_to_authority_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    # --- The selection of the people affected: fixed filters, ANDed (selection.py) ---
    # Everyone with an account; only as an explicit choice, never with other filters.
    select_all_accounts = models.BooleanField(default=False)
    select_venues = models.JSONField(default=list)  # venue short codes
    select_checkins_from = models.DateField(null=True, blank=True)  # local dates, inclusive
    select_checkins_to = models.DateField(null=True, blank=True)
    select_venue_regions = models.JSONField(default=list)  # Kemendagri codes
    select_residence_regions = models.JSONField(default=list)
    select_data_classes = models.JSONField(default=list)  # DataClass values

    # The snapshot: when the notices were drafted (the subjects' rows) and by whom.
    drafted_at = models.DateTimeField(null=True, blank=True)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = pgettext_lazy("model name", "insiden data pribadi")
        verbose_name_plural = pgettext_lazy("model name plural", "insiden data pribadi")
        ordering = ["-discovered_at", "-id"]

    def __str__(self) -> str:
        return f"{self.public_id} {self.title}"

    @property
    def deadline(self) -> dt.datetime:
        """When the notices to the people and the authority are due (discovery + 72 h)."""
        return self.discovered_at + NOTICE_PERIOD

    def data_class_labels(self) -> list[str]:
        return [str(DataClass(v).label) for v in self.data_classes if v in DataClass.values]


class BreachSubject(models.Model):
    """One person the drafted notices go to: frozen when drafted, marked once notified."""

    breach = models.ForeignKey(Breach, on_delete=models.CASCADE, related_name="subjects")
    # The person may delete a dependant later; the NIK's index still says who it was.
    person = models.ForeignKey(
        "people.Person", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    nik_index = models.CharField(max_length=64)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The notice's language (the account's, else Indonesian) and whether the account had
    # a phone number for the SMS when the notices were drafted.
    language = models.CharField(max_length=8, default="id")
    has_phone = models.BooleanField(default=False)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model name", "subjek data terdampak")
        verbose_name_plural = pgettext_lazy("model name plural", "subjek data terdampak")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["breach", "nik_index"], name="breach_subject_once")
        ]
        # Each batch takes the next subjects not yet notified.
        indexes = [
            models.Index(
                fields=["breach", "id"],
                condition=models.Q(notified_at__isnull=True),
                name="breach_subject_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.breach_id}: {self.nik_index[:8]}…"
