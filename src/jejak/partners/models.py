"""Partner apps: the registry the issuer keeps (`Partner`, one per OAuth application), the
citizens' connections to them, which check-ins a partner submitted, and each partner's
daily usage.

OAuth itself (applications, grants, access and refresh tokens) is django-oauth-toolkit's,
through its public models; a `Partner` adds what Jejak decides about the application:
who it is, what it may ask for, how fast, and whether it may work at all.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from oauth2_provider.settings import oauth2_settings


class PartnerStatus(models.TextChoices):
    PENDING = "pending", _("Menunggu persetujuan")
    APPROVED = "approved", _("Disetujui")
    SUSPENDED = "suspended", _("Ditangguhkan")


class Partner(models.Model):
    """An app that checks its users in with their consent (a ride-hailing app, a wallet).

    Only an approved partner's citizens can be asked for consent, and only its tokens
    work: the token look-up reads `status` on every call (auth.py), so suspending a
    partner stops its tokens at once without revoking them (approving it again resumes).
    """

    application = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="partner",
    )
    name = models.CharField(_("nama"), max_length=100)
    organisation = models.CharField(_("organisasi"), max_length=200)
    # Who the issuer calls about this partner (an engineer, a security contact).
    contact = models.CharField(_("kontak"), max_length=300)
    # Space-separated, as OAuth writes scopes; a subset of scopes.SCOPES.
    allowed_scopes = models.CharField(_("cakupan yang diizinkan"), max_length=200)
    # Calls per minute over all of the partner's citizens.
    rate_limit = models.PositiveIntegerField(_("batas panggilan per menit"), default=6000)
    status = models.CharField(
        max_length=10, choices=PartnerStatus.choices, default=PartnerStatus.PENDING
    )
    status_reason = models.CharField(_("alasan status"), max_length=300, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = pgettext_lazy("model name", "mitra")
        verbose_name_plural = pgettext_lazy("model name plural", "mitra")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"

    @property
    def scopes(self) -> list[str]:
        return self.allowed_scopes.split()


class Connection(models.Model):
    """A citizen's consent to one partner: the scopes granted, when, and the last call.

    Written when the citizen approves on the consent page (views.AuthorizeView);
    `disconnected_at` is set when they disconnect it (every token revoked at once) and
    cleared by a later consent."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner_connections"
    )
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="connections")
    scopes = models.CharField(max_length=200)
    connected_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model name", "koneksi mitra")
        verbose_name_plural = pgettext_lazy("model name plural", "koneksi mitra")
        ordering = ["-connected_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "partner"], name="partner_connection_once")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} -> {self.partner_id}"


class PartnerCheckIn(models.Model):
    """Which partner submitted a check-in request: keyed by the request's (account,
    nonce), the check-in's own idempotency key, and written in the check-in's transaction
    (recording.py): no key into the check-in tables, whose rows are partitioned by day on
    PostgreSQL and dropped a day at a time (docs/partitions.md)."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    # The nonce the check-in was recorded under (derived from the partner's: api.py).
    nonce = models.UUIDField()
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = pgettext_lazy("model name", "check-in melalui mitra")
        verbose_name_plural = pgettext_lazy("model name plural", "check-in melalui mitra")
        constraints = [
            models.UniqueConstraint(fields=["account", "nonce"], name="partner_checkin_nonce")
        ]
        indexes = [models.Index(fields=["received_at"], name="partner_checkin_received")]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.nonce}"


class DailyUsage(models.Model):
    """One partner's calls on one day (Asia/Jakarta): what the issuer watches."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="usage")
    day = models.DateField()
    calls = models.PositiveBigIntegerField(default=0)
    # Answered 4xx: scopes, unknown people, rate limits, refused check-ins.
    refusals = models.PositiveBigIntegerField(default=0)
    # Of which 429 (over the partner's or a citizen's rate).
    limited = models.PositiveBigIntegerField(default=0)
    # Answered 5xx.
    errors = models.PositiveBigIntegerField(default=0)
    # Distinct citizens, frozen here when the day's `DailyUser` rows are purged.
    users = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model name", "pemakaian mitra harian")
        verbose_name_plural = pgettext_lazy("model name plural", "pemakaian mitra harian")
        ordering = ["-day", "partner_id"]
        constraints = [models.UniqueConstraint(fields=["partner", "day"], name="partner_usage_day")]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.day}: {self.calls}"


class DailyUser(models.Model):
    """A citizen a partner called for on a day: counted into `DailyUsage.users`, then
    deleted (retention.py)."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = pgettext_lazy("model name", "pengguna mitra harian")
        verbose_name_plural = pgettext_lazy("model name plural", "pengguna mitra harian")
        constraints = [
            models.UniqueConstraint(fields=["partner", "day", "account"], name="partner_user_day")
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.day} {self.account_id}"
