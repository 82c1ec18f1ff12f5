"""Screening rule sets as data: a declarative document per set, with effective dates, so
the issuer publishes a new set without a code change and every decision names the set
that made it. Also the personal status passes a guard scans (see passes.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Colour(models.TextChoices):
    HIJAU = "hijau", _("Hijau")
    KUNING = "kuning", _("Kuning")
    MERAH = "merah", _("Merah")
    HITAM = "hitam", _("Hitam")


class Reason(models.TextChoices):
    """Why a colour was given. A rule-set document may only use these codes, so the API,
    the pages and the reports speak the same words; a new set recombines them."""

    POSITIVE_ISOLATION = "positive_isolation", _("Kasus positif dalam masa isolasi")
    CLOSE_CONTACT = "close_contact", _("Kontak erat dalam masa karantina")
    TRAVEL_QUARANTINE = "travel_quarantine", _("Dalam masa karantina perjalanan")
    NEGATIVE_PCR = "negative_pcr", _("Hasil PCR negatif yang masih berlaku")
    NEGATIVE_ANTIGEN = "negative_antigen", _("Hasil antigen negatif yang masih berlaku")
    MEDICAL_EXEMPTION = "medical_exemption", _("Dikecualikan dari vaksinasi karena alasan medis")
    BELOW_VACCINATION_AGE = "below_vaccination_age", _("Belum cukup umur untuk vaksinasi")
    RECOVERED_VACCINATED = (
        "recovered_vaccinated",
        _("Penyintas kurang dari 90 hari dengan sedikitnya satu dosis vaksin"),
    )
    BOOSTER_COMPLETE = "booster_complete", _("Vaksinasi lengkap dengan dosis penguat (booster)")
    FULLY_VACCINATED = "fully_vaccinated", _("Vaksinasi lengkap")
    BOOSTER_MISSING = "booster_missing", _("Vaksinasi lengkap, belum dosis penguat (booster)")
    PARTIALLY_VACCINATED = "partially_vaccinated", _("Baru menerima vaksin dosis pertama")
    RECOVERED_UNVACCINATED = (
        "recovered_unvaccinated",
        _("Penyintas kurang dari 90 hari, belum divaksin"),
    )
    NOT_VACCINATED = "not_vaccinated", _("Belum ada catatan vaksinasi")


# Not a colour a rule set can give, and so not in Colour: a person whose NIK, name and
# birth date the civil registry has not confirmed (identity/port.py) is not screened at
# all, since their records may be someone else's. No rule set can make this hijau.
UNVERIFIED = "unverified"
IDENTITY_UNVERIFIED = "identity_unverified"
UNVERIFIED_LABEL = _("Identitas belum terverifikasi")
IDENTITY_UNVERIFIED_LABEL = _(
    "NIK, nama, dan tanggal lahir belum dicocokkan dengan data kependudukan (Dukcapil)."
)


def colour_label(code: str) -> str:
    """The colour's name for people (the unverified outcome included)."""
    if code == UNVERIFIED:
        return str(UNVERIFIED_LABEL)
    return str(Colour(code).label) if code in Colour.values else code


def reason_label(code: str) -> str:
    """A screening reason's sentence for people (the unverified outcome included)."""
    if code == IDENTITY_UNVERIFIED:
        return str(IDENTITY_UNVERIFIED_LABEL)
    return str(Reason(code).label) if code in Reason.values else code


class RuleSet(models.Model):
    slug = models.SlugField(max_length=50, unique=True)  # e.g. "2021-09", "2022-07-17"
    name = models.CharField(max_length=150)
    effective_from = models.DateTimeField()
    effective_until = models.DateTimeField(null=True, blank=True)
    document = models.JSONField()  # validated by screening/ruleset.py on every save path
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = pgettext_lazy("model name", "aturan skrining")
        verbose_name_plural = pgettext_lazy("model name plural", "aturan skrining")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"{self.slug} ({self.effective_from:%Y-%m-%d})"


class StatusPass(models.Model):
    """One signed status QR shown by a visitor: what it attested, for whom, until when.

    The token carries only `public_id`; the guard's scan finds the row, so no NIK, name
    or colour travels in the QR itself.
    """

    public_id = models.CharField(max_length=16, unique=True)
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="status_passes"
    )
    colour = models.CharField(max_length=10, choices=Colour.choices)
    reasons = models.JSONField(default=list)
    rule_set = models.CharField(max_length=50)  # the RuleSet slug that decided the colour
    kid = models.CharField(max_length=16)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = pgettext_lazy("model name", "QR status")
        verbose_name_plural = pgettext_lazy("model name plural", "QR status")
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["person", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.colour}, {self.issued_at:%Y-%m-%d %H:%M})"
