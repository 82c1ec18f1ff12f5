"""People identified by NIK: visitors' own profiles and their dependants.

A NIK is stored encrypted (core.crypto) with a keyed hash (`nik_index`) for look-ups and
a masked form for display. Health records (health app) are keyed by `nik_index` too, so
records imported for someone who has not registered apply as soon as they do.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Sex(models.TextChoices):
    MALE = "M", _("Laki-laki")
    FEMALE = "F", _("Perempuan")


class Relation(models.TextChoices):
    SELF = "self", _("Diri sendiri")
    CHILD = "child", _("Anak")
    PARENT = "parent", _("Orang tua")
    SPOUSE = "spouse", _("Pasangan")
    OTHER = "other", _("Lainnya")


PUBLIC_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


def new_public_id() -> str:
    """12 random base32 characters (60 bits): how a person is named in URLs and the API."""
    return "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(12))


class Person(models.Model):
    """One NIK under one account: the account holder (`self`) or a dependant.

    Written only through people/service.py; `nik_index` is unique, so a NIK belongs to
    at most one account.
    """

    public_id = models.CharField(max_length=12, unique=True, default=new_public_id, editable=False)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="people"
    )
    relation = models.CharField(max_length=10, choices=Relation.choices)
    nik_index = models.CharField(max_length=64, unique=True)
    nik_encrypted = models.BinaryField()
    nik_masked = models.CharField(max_length=16)  # "3671********0001"
    full_name = models.CharField(_("nama lengkap"), max_length=150)
    birth_date = models.DateField(_("tanggal lahir"))
    sex = models.CharField(_("jenis kelamin"), max_length=1, choices=Sex.choices)
    created_at = models.DateTimeField(default=timezone.now)
    # When this account took the current NIK: its owner sees claim attempts from then on,
    # not those made against a previous holder of the same NIK.
    nik_claimed_at = models.DateTimeField(default=timezone.now)
    # When and by which civil-registry backend the NIK, name and birth date were matched
    # (identity/port.py). Unverified people screen as `identity_unverified`, never a
    # colour: a NIK typed in is not an identity until the registry says so.
    identity_verified_at = models.DateTimeField(null=True, blank=True)
    identity_backend = models.CharField(max_length=20, blank=True)
    # The family card (KK) the registry puts this person on, as a keyed hash: dependants
    # on the account holder's card are accepted without an officer.
    family_card_index = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model name", "orang")
        verbose_name_plural = pgettext_lazy("model name plural", "orang")
        ordering = ["account_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=models.Q(relation="self"), name="one_self_per_account"
            )
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.nik_masked})"


class NikClaimAttempt(models.Model):
    """Someone tried to add a NIK another account already holds; its owner can see this."""

    nik_index = models.CharField(max_length=64, db_index=True)
    attempted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = pgettext_lazy("model name", "percobaan klaim NIK")
        verbose_name_plural = pgettext_lazy("model name plural", "percobaan klaim NIK")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.attempted_by_id} @ {self.at:%Y-%m-%d %H:%M}"


class IdentityRefusal(models.Model):
    """A NIK, name and birth date the civil registry did not confirm for this account.

    The visitor is told only `identity_not_verified`; the exact outcome (not found, name
    or birth-date mismatch, deceased) stays here and in the audit log, for officers. The
    rows also cap how many guesses an account may make per day.
    """

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    nik_index = models.CharField(max_length=64, db_index=True)
    nik_masked = models.CharField(max_length=16)
    outcome = models.CharField(max_length=24)
    backend = models.CharField(max_length=20)
    purpose = models.CharField(max_length=24)  # profile, dependant, dependant_request
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = pgettext_lazy("model name", "penolakan identitas")
        verbose_name_plural = pgettext_lazy("model name plural", "penolakan identitas")
        ordering = ["-at"]
        indexes = [models.Index(fields=["account", "at"], name="identity_refusal_recent")]

    def __str__(self) -> str:
        return f"{self.nik_masked} {self.outcome}"


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Menunggu persetujuan petugas")
    APPROVED = "approved", _("Disetujui")
    REJECTED = "rejected", _("Ditolak")


class DependantRequest(models.Model):
    """A dependant the registry does not put on the holder's family card (an elderly
    parent on another KK, a ward): added only when an officer approves, with a reason.

    The registry has matched the NIK, name and birth date before a request is stored.
    """

    public_id = models.CharField(max_length=12, unique=True, default=new_public_id, editable=False)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dependant_requests"
    )
    nik_index = models.CharField(max_length=64, db_index=True)
    nik_encrypted = models.BinaryField()
    nik_masked = models.CharField(max_length=16)
    full_name = models.CharField(max_length=150)
    birth_date = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices)
    relation = models.CharField(max_length=10, choices=Relation.choices)
    family_card_index = models.CharField(max_length=64, blank=True)
    identity_backend = models.CharField(max_length=20)
    # The district of the account holder's NIK: whose officers decide.
    region_code = models.CharField(max_length=13)
    reason = models.CharField(max_length=500)
    status = models.CharField(
        max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=500, blank=True)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = pgettext_lazy("model name", "permintaan tanggungan")
        verbose_name_plural = pgettext_lazy("model name plural", "permintaan tanggungan")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["status", "region_code"], name="dependant_req_queue")]

    def __str__(self) -> str:
        return f"{self.nik_masked} ({self.status})"
