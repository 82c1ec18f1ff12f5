from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SigningKey(models.Model):
    """An Ed25519 key that signs QR tokens. The private half is stored encrypted.

    Several keys coexist: the newest active one signs, every published one verifies, so
    posters printed under an older key keep working until their venue is reissued.
    """

    kid = models.CharField(max_length=16, unique=True)
    public_key = models.BinaryField(max_length=32)
    private_key_encrypted = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)
    # A retired key signs nothing new; its tokens still verify while it is published.
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model name", "kunci penanda tangan")
        verbose_name_plural = pgettext_lazy("model name plural", "kunci penanda tangan")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.kid


class CodeStatus(models.TextChoices):
    ACTIVE = "active", _("Aktif")
    REPLACED = "replaced", _("Diganti")
    REVOKED = "revoked", _("Dicabut")


class QrCode(models.Model):
    """The code printed for one entry point. `public_id` is random, never a primary key."""

    entry_point = models.ForeignKey(
        "venues.EntryPoint", on_delete=models.CASCADE, related_name="codes"
    )
    public_id = models.CharField(max_length=32, unique=True)
    key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, related_name="codes")
    token = models.CharField(max_length=200)
    status = models.CharField(
        max_length=10, choices=CodeStatus.choices, default=CodeStatus.ACTIVE, db_index=True
    )
    issued_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model name", "kode QR")
        verbose_name_plural = pgettext_lazy("model name plural", "kode QR")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry_point"],
                condition=models.Q(status="active"),
                name="one_active_code_per_entry_point",
            )
        ]

    def __str__(self) -> str:
        return self.public_id
