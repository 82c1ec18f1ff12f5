"""The audit log: who did or read what, when and why.

A read of personal data by anyone but its owner writes one `AuditEvent` with a
`purpose` and one `AuditSubject` per person whose data was shown (keyed by the person's
NIK blind index, the key health records use too), so that a citizen can be told who read
their data (role and organisation, never the officer's name) and a breach can be scoped."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Purpose(models.TextChoices):
    # The value is stored; the label is what the citizen reads in "who read my data".
    TRACING = "tracing", _("Penelusuran kontak kasus terkonfirmasi")
    STATUS_CHECK = "status_check", _("Pemeriksaan status kesehatan")
    ENTRY_CHECK = "entry_check", _("Pemeriksaan di pintu masuk tempat")
    IDENTITY = "identity", _("Verifikasi atau koreksi identitas")
    DEPENDANTS = "dependants", _("Persetujuan anggota keluarga")
    HEALTH_RECORDS = "health_records", _("Pengelolaan data vaksinasi dan hasil tes")
    ADMINISTRATION = "administration", _("Administrasi sistem")
    OVERSIGHT = "oversight", _("Pengawasan dan penegakan protokol kesehatan")
    NOTIFICATION = "notification", _("Pengiriman pemberitahuan")
    DATA_PROTECTION = "data_protection", _("Pelindungan data pribadi (permintaan atau insiden)")
    PARTNER_APP = "partner_app", _("Layanan aplikasi mitra yang Anda hubungkan")


# The reader's role of a partner app's reads (service.record_read's `reader`): not an
# account's role; the citizen is told "partner app" and the partner's name.
PARTNER_ROLE = "partner"


class AuditEvent(models.Model):
    """Who did or read what, when and why. Written by services; never edited."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # Reads of personal data only: why, and who the reader was at that moment (a role
    # and an organisation change later; the citizen is told what held at the read).
    purpose = models.CharField(max_length=32, choices=Purpose.choices, blank=True)
    actor_role = models.CharField(max_length=32, blank=True)
    actor_org = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model name", "peristiwa audit")
        verbose_name_plural = pgettext_lazy("model name plural", "peristiwa audit")
        ordering = ["-at"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"


class AuditSubject(models.Model):
    """One person whose personal data an audited read showed."""

    event = models.ForeignKey(AuditEvent, on_delete=models.CASCADE, related_name="subjects")
    nik_index = models.CharField(max_length=64)
    # Copied from the event: the citizen's list is read by subject and time alone.
    at = models.DateTimeField()

    class Meta:
        verbose_name = pgettext_lazy("model name", "subjek audit")
        verbose_name_plural = pgettext_lazy("model name plural", "subjek audit")
        indexes = [models.Index(fields=["nik_index", "at"], name="audit_subject_by_person")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} event {self.event_id}"


class AuditDailyCount(models.Model):
    """How many audit rows of one action one day (Asia/Jakarta) held, kept after the rows
    themselves are deleted at the end of their retention (audit/retention.py): the
    volume of work stays known, nobody's name, address or NIK does."""

    day = models.DateField()
    action = models.CharField(max_length=64)
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = pgettext_lazy("model name", "jumlah audit harian")
        verbose_name_plural = pgettext_lazy("model name plural", "jumlah audit harian")
        ordering = ["day", "action"]
        constraints = [
            models.UniqueConstraint(fields=["day", "action"], name="audit_daily_count_unique")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.action}: {self.count}"
