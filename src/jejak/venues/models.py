from __future__ import annotations

from typing import TYPE_CHECKING, Self

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jejak.accounts.jurisdiction import is_national
from jejak.accounts.roles import REGIONAL_ROLES, VENUE_ROLES, Role

if TYPE_CHECKING:
    from typing_extensions import TypeVar

    from jejak.accounts.models import RequestUser

    # Explicit only for type checking: the django-stubs plugin reads `QuerySet["Venue"]`
    # this way by itself, but not under disallow_any_generics. With these, annotate()
    # keeps the fields it adds on the venues it yields.
    _V = TypeVar("_V", bound="Venue", covariant=True, default="Venue")
    _Row = TypeVar("_Row", covariant=True, default=_V)

SHORT_CODE_VALIDATOR = RegexValidator(
    r"^[A-Z0-9][A-Z0-9-]{1,30}[A-Z0-9]$",
    _("Kode singkat: 3-32 huruf besar, angka atau tanda hubung."),
    code="short_code",
)


class VenueStatus(models.TextChoices):
    """Where a venue stands in the registration workflow (see venues/workflow.py)."""

    REGISTERED = "registered", _("Terdaftar")
    REQUESTED = "requested", _("Diajukan")
    UNDER_REVIEW = "under_review", _("Ditinjau")
    APPROVED = "approved", _("Disetujui")
    REJECTED = "rejected", _("Ditolak")
    ISSUED = "issued", _("Kode terbit")
    INSTALLED = "installed", _("Terpasang")
    SUSPENDED = "suspended", _("Ditangguhkan")
    REVOKED = "revoked", _("Dicabut")


class VenueAction(models.TextChoices):
    SUBMIT = "submit", _("Ajukan")
    START_REVIEW = "start_review", _("Mulai tinjau")
    APPROVE = "approve", _("Setujui")
    REJECT = "reject", _("Tolak")
    ISSUE = "issue", _("Terbitkan kode")
    INSTALL = "install", _("Konfirmasi terpasang")
    SUSPEND = "suspend", _("Tangguhkan")
    RESUME = "resume", _("Aktifkan kembali")
    REVOKE = "revoke", _("Cabut")
    REISSUE = "reissue", _("Terbitkan ulang")


class VenueQuerySet(models.QuerySet["_V", "_Row"]):
    def visible_to(self, user: RequestUser | None) -> Self:
        """The venues `user` may see: all for national roles, their region's (and for an
        agency officer only their sectors') for regional roles, their own for venue
        roles, none otherwise (an unknown role fails closed)."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if is_national(user):
            return self
        if user.role in REGIONAL_ROLES:
            if user.region is None:
                return self.none()
            qs = self.filter(user.region.subtree_q("region"))
            if user.role == Role.AGENCY_OFFICER:
                sector_ids = list(user.sectors.values_list("id", flat=True))
                qs = qs.filter(Q(sector_id__in=sector_ids) | Q(sector__parent_id__in=sector_ids))
            return qs
        if user.role in VENUE_ROLES:
            return self.filter(staff=user)
        return self.none()


def venues_visible_to(
    user: RequestUser | None, queryset: VenueQuerySet | None = None
) -> VenueQuerySet:
    """`queryset` (every venue by default) narrowed to what `user` may see."""
    return (Venue.objects.all() if queryset is None else queryset).visible_to(user)


class Venue(models.Model):
    short_code = models.CharField(
        _("kode singkat"), max_length=32, unique=True, validators=[SHORT_CODE_VALIDATOR]
    )
    name = models.CharField(_("nama"), max_length=200)
    sector = models.ForeignKey("sectors.Sector", on_delete=models.PROTECT, related_name="venues")
    # The most precise region known: a kelurahan where known, else the kecamatan or city.
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="venues")
    address = models.CharField(_("alamat"), max_length=300, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    capacity = models.PositiveIntegerField(_("kapasitas"), validators=[MinValueValidator(1)])
    default_stay_minutes = models.PositiveIntegerField(
        _("lama kunjungan bawaan (menit)"),
        default=60,
        validators=[MinValueValidator(1)],
        help_text=_("Dipakai untuk check-out otomatis."),
    )
    coordinator_name = models.CharField(_("nama koordinator"), max_length=150, blank=True)
    coordinator_position = models.CharField(_("jabatan koordinator"), max_length=150, blank=True)
    coordinator_email = models.EmailField(_("e-mail koordinator"), blank=True)
    coordinator_phone = models.CharField(_("telepon koordinator"), max_length=20, blank=True)
    status = models.CharField(
        max_length=20, choices=VenueStatus.choices, default=VenueStatus.REGISTERED, db_index=True
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)

    objects = VenueQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("model name", "tempat")
        verbose_name_plural = pgettext_lazy("model name plural", "tempat")
        ordering = ["short_code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.short_code})"


class EntryPoint(models.Model):
    """One entrance or exit of a venue; each gets its own QR code."""

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="entry_points")
    name = models.CharField(_("nama pintu"), max_length=100)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = pgettext_lazy("model name", "pintu masuk")
        verbose_name_plural = pgettext_lazy("model name plural", "pintu masuk")
        ordering = ["venue_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["venue", "name"], name="entry_point_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.venue.short_code} / {self.name}"


class VenueTransition(models.Model):
    """One step of the registration workflow: who moved the venue, when, and why."""

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField(max_length=20, choices=VenueAction.choices)
    from_status = models.CharField(max_length=20, choices=VenueStatus.choices)
    to_status = models.CharField(max_length=20, choices=VenueStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True)
    # For "install": the day the posters went up (may be before it was confirmed).
    effective_date = models.DateField(null=True, blank=True)
    photo = models.ImageField(upload_to="installations/%Y/%m/", blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model name", "perubahan status tempat")
        verbose_name_plural = pgettext_lazy("model name plural", "perubahan status tempat")
        ordering = ["venue_id", "at", "id"]
        indexes = [models.Index(fields=["to_status", "at"])]

    def __str__(self) -> str:
        return f"{self.venue_id}: {self.from_status} -> {self.to_status}"
