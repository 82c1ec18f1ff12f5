"""Health records, keyed by the NIK's blind index (people.Person.nik_index), so they exist
before (or without) the person registering. Each import source gives a natural key that
makes re-importing the same records a no-op."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Source(models.TextChoices):
    FHIR = "fhir", "FHIR"
    CSV = "csv", "CSV"
    MANUAL = "manual", _("Manual")
    TRACING = "tracing", _("Pelacakan kontak")


class HealthRecord(models.Model):
    nik_index = models.CharField(max_length=64, db_index=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk} ({self.nik_index[:8]}…)"


class VaccinationDose(HealthRecord):
    dose_number = models.PositiveSmallIntegerField()
    given_on = models.DateField()
    product = models.CharField(max_length=100)  # e.g. "CoronaVac", "Janssen"
    product_code = models.CharField(max_length=50, blank=True)  # CVX or KFA code
    # True for single-dose vaccines (Janssen/Ad26): one dose completes the primary series.
    single_dose_product = models.BooleanField(default=False)

    class Meta:
        verbose_name = pgettext_lazy("model name", "dosis vaksinasi")
        verbose_name_plural = pgettext_lazy("model name plural", "dosis vaksinasi")
        ordering = ["nik_index", "given_on", "dose_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["nik_index", "dose_number", "given_on"], name="dose_natural_key"
            )
        ]


class LabMethod(models.TextChoices):
    PCR = "pcr", "PCR"
    ANTIGEN = "antigen", _("Antigen")


class LabOutcome(models.TextChoices):
    POSITIVE = "positive", _("Positif")
    NEGATIVE = "negative", _("Negatif")


class LabResult(HealthRecord):
    method = models.CharField(max_length=10, choices=LabMethod.choices)
    result = models.CharField(max_length=10, choices=LabOutcome.choices)
    specimen_at = models.DateTimeField()
    lab = models.CharField(max_length=150, blank=True)
    # The kecamatan the NIK was issued in, its first six digits as a Kemendagri code
    # ("36.71.01"), kept by the import so that a kecamatan's weekly cases (zones) can be
    # counted without the NIK; blank for results stored before it was kept.
    nik_district = models.CharField(max_length=8, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model name", "hasil tes")
        verbose_name_plural = pgettext_lazy("model name plural", "hasil tes")
        ordering = ["nik_index", "specimen_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["nik_index", "method", "specimen_at", "result"], name="lab_natural_key"
            )
        ]
        # The zones' hourly count of a week's positive results (zones/compute.py).
        indexes = [
            models.Index(
                fields=["specimen_at"],
                condition=models.Q(result="positive"),
                name="lab_positive_specimen",
            )
        ]


class DesignationKind(models.TextChoices):
    POSITIVE_CASE = "positive_case", _("Kasus positif")
    CLOSE_CONTACT = "close_contact", _("Kontak erat")


class Designation(HealthRecord):
    """A positive-case or close-contact designation (tracing creates these)."""

    kind = models.CharField(max_length=20, choices=DesignationKind.choices)
    # Positive case: the specimen (or onset) time; close contact: the last exposure.
    starts_at = models.DateTimeField()
    # Set when lifted early (a negative test for a contact, an officer's decision).
    ended_at = models.DateTimeField(null=True, blank=True)
    # A close contact's own length in days after the last exposure (its tracing
    # profile's designation_days); empty: the screening rule set's until_day decides.
    days = models.PositiveSmallIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = pgettext_lazy("model name", "penetapan")
        verbose_name_plural = pgettext_lazy("model name plural", "penetapan")
        ordering = ["nik_index", "starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["nik_index", "kind", "starts_at"], name="designation_natural_key"
            )
        ]


class TravelQuarantine(HealthRecord):
    starts_on = models.DateField()
    ends_on = models.DateField()

    class Meta:
        verbose_name = pgettext_lazy("model name", "karantina perjalanan")
        verbose_name_plural = pgettext_lazy("model name plural", "karantina perjalanan")
        constraints = [
            models.UniqueConstraint(
                fields=["nik_index", "starts_on"], name="quarantine_natural_key"
            )
        ]


class VaccinationExemption(HealthRecord):
    """A medical exemption from vaccination (some sectors admit exempt people as green)."""

    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model name", "pengecualian vaksinasi")
        verbose_name_plural = pgettext_lazy("model name plural", "pengecualian vaksinasi")
        constraints = [
            models.UniqueConstraint(fields=["nik_index", "starts_on"], name="exemption_natural_key")
        ]
