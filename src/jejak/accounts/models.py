from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from functools import cache, partial
from typing import TypeAlias

from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jejak.accounts.roles import REGIONAL_ROLES, Role
from jejak.core import sql as sqlrows


class User(AbstractUser):
    """Staff and (from the visitor issue on) citizens share this one account model.

    Jurisdiction is three optional parts read together with the role: a region (a city
    for city roles; empty for the national issuer), sectors (agency officers) and venues
    (venue managers and staff). Querysets apply it; see accounts/jurisdiction.py.
    """

    role = models.CharField(max_length=32, choices=Role.choices, default=Role.VISITOR)
    region = models.ForeignKey(
        "regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        "sectors.Agency", null=True, blank=True, on_delete=models.SET_NULL, related_name="staff"
    )
    sectors = models.ManyToManyField("sectors.Sector", blank=True, related_name="+")
    venues = models.ManyToManyField("venues.Venue", blank=True, related_name="staff")
    # Staff contact number, shown to colleagues; visitors sign in with phone_index below.
    phone = models.CharField(max_length=20, blank=True)
    # A visitor's sign-in number: encrypted, looked up by its keyed hash, shown masked.
    phone_index = models.CharField(max_length=64, unique=True, null=True, blank=True)
    phone_encrypted = models.BinaryField(null=True, blank=True)
    phone_masked = models.CharField(max_length=20, blank=True)
    position = models.CharField(_("jabatan"), max_length=100, blank=True)
    # The privacy notice version this visitor last accepted (accounts/privacy.py); the
    # history is PrivacyAcceptance. Kept on the row every request loads anyway, so the
    # check that a visitor has accepted the current notice costs no query.
    privacy_notice_version = models.CharField(max_length=32, blank=True)
    # The language a visitor last used (signed in or switched to): what is sent to them
    # later, when no request is there to say (exposure and breach notices), reads in it.
    language = models.CharField(max_length=8, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model name", "pengguna")
        verbose_name_plural = pgettext_lazy("model name plural", "pengguna")

    def clean(self) -> None:
        super().clean()
        if self.role in REGIONAL_ROLES and self.region_id is None:
            raise ValidationError({"region": _("Peran ini memerlukan wilayah.")})

    @property
    def is_issuer(self) -> bool:
        return self.role == Role.ISSUER or self.is_superuser

    # The national issuer runs Django admin without per-model permission rows: its role is
    # the permission. Everyone else needs is_superuser or explicit Django permissions.
    def has_perm(self, perm: str, obj: models.Model | None = None) -> bool:
        if self.is_active and self.is_staff and self.role == Role.ISSUER:
            return True
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        if self.is_active and self.is_staff and self.role == Role.ISSUER:
            return True
        return super().has_module_perms(app_label)


# What `request.user` holds: a signed-in account or Django's anonymous visitor.
RequestUser: TypeAlias = User | AnonymousUser


@cache
def _token_user_sql(vendor: str) -> tuple[list[str], str]:
    del vendor  # part of the cache key only (any_of differs per backend)
    t, u = sqlrows.table(ApiToken), sqlrows.table(User)
    names = [f.attname for f in User._meta.concrete_fields]
    columns = ", ".join(f"u.{sqlrows.column(User, n)}" for n in names)
    tc = partial(sqlrows.column, ApiToken)
    # Quoted names from the models' metadata; every value is a parameter.
    sql = (
        f"SELECT t.{tc('digest')}, t.{tc('id')}, t.{tc('last_used_at')}, {columns} FROM {t} t "
        f"JOIN {u} u ON u.{sqlrows.column(User, 'id')} = t.{tc('user')} "
        f"WHERE {sqlrows.any_of('t.' + tc('digest'))} AND t.{tc('revoked_at')} IS NULL "
        f"AND (t.{tc('expires_at')} IS NULL OR t.{tc('expires_at')} > %s) "
        f"AND u.{sqlrows.column(User, 'is_active')}"  # nosec B608
    )
    return names, sql


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=timezone.now())
        )


class ApiToken(models.Model):
    """A bearer token for API clients. Only its SHA-256 is stored; the raw value is shown once."""

    PREFIX = "jjk_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("model name", "token API")
        verbose_name_plural = pgettext_lazy("model name plural", "token API")

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @classmethod
    def issue(
        cls, *, user: User, name: str, expires_at: dt.datetime | None = None
    ) -> tuple[ApiToken, str]:
        """A new token; `expires_at` None never lapses (staff and partners' tokens made
        with `jejak api-token`, revoked by hand)."""
        raw = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, digest=_hash_token(raw), expires_at=expires_at
        )
        return token, raw

    @classmethod
    def lookup(cls, raw: str) -> ApiToken | None:
        if not raw.startswith(cls.PREFIX):
            return None
        return cls.objects.active().select_related("user").filter(digest=_hash_token(raw)).first()

    @classmethod
    def authenticate(
        cls, raw: str, *, now: dt.datetime
    ) -> tuple[int, dt.datetime | None, User] | None:
        """(token id, last used, active user) of a live token, in one hand-written query.

        Every API call of a phone runs this, check-ins included: it is `lookup` without
        the ORM's cost of building the statement (see core/sql.py)."""
        return cls.authenticate_many([raw], now=now)[0]

    @classmethod
    def authenticate_many(
        cls, raws: Sequence[str], *, now: dt.datetime
    ) -> list[tuple[int, dt.datetime | None, User] | None]:
        """`authenticate` for several raw tokens at once (a batch of check-ins), in order."""
        digests = {raw: _hash_token(raw) for raw in raws if raw.startswith(cls.PREFIX)}
        if not digests:
            return [None] * len(raws)
        names, sql = _token_user_sql(sqlrows.vendor())
        rows = sqlrows.fetchall(
            sql,
            [sqlrows.many(sorted(set(digests.values()))), sqlrows.prepare(cls, "expires_at", now)],
        )
        convert = sqlrows.converters(User, names)
        last = sqlrows.converters(cls, ["last_used_at"])[0]
        found = {}
        for digest, token_id, last_used, *values in rows:
            user = User.from_db(
                "default", names, [c(v) for c, v in zip(convert, values, strict=True)]
            )
            found[digest] = (token_id, last(last_used), user)
        return [found.get(digests.get(raw, "")) for raw in raws]


class OneTimeCode(models.Model):
    """A sign-in code sent by SMS to a visitor's number. Only a keyed hash of it is stored.

    Rows also count what was requested: the per-number and per-address limits are counts
    of these rows (accounts/otp.py), so they are kept for a day and then purged.
    """

    phone_index = models.CharField(max_length=64)
    # A keyed hash of the client address, not the address: only ever compared.
    address_index = models.CharField(max_length=64)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # Set when a newer code was requested for the same number: only the latest one works.
    # Also set when this code has taken MAX_WRONG_TRIES_PER_CODE wrong guesses.
    superseded_at = models.DateTimeField(null=True, blank=True)
    # Wrong codes given while this was the number's live code, from any address.
    wrong_tries = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = pgettext_lazy("model name", "kode masuk sekali pakai")
        verbose_name_plural = pgettext_lazy("model name plural", "kode masuk sekali pakai")
        indexes = [
            models.Index(fields=["phone_index", "created_at"]),
            models.Index(fields=["address_index", "created_at"]),
            models.Index(fields=["created_at"]),
        ]

    def __str__(self) -> str:
        return f"code {self.pk} at {self.created_at:%Y-%m-%d %H:%M}"


class SignInGuard(models.Model):
    """One row per phone number (`phone:<index>`), client address (`address:<index>`) or
    pair of them (`pair:<phone index>:<address index>`).

    Sign-in requests lock this row (select_for_update) before counting codes or wrong
    tries, so two processes never both see "two codes so far" and both send a third: the
    limits hold across gunicorn workers and hosts with nothing but the database. An address
    row and a pair row also carry their wrong tries and their lockout.
    """

    key = models.CharField(max_length=140, unique=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    last_failed_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = pgettext_lazy("model name", "batas percobaan masuk")
        verbose_name_plural = pgettext_lazy("model name plural", "batas percobaan masuk")

    def __str__(self) -> str:
        return self.key


class PrivacyAcceptance(models.Model):
    """One visitor's acceptance of one version of the privacy notice (accounts/privacy.py).

    Kept as the record that the person was told and agreed (UU 27/2022 Art. 20-22);
    deleted with the account.
    """

    class Channel(models.TextChoices):
        WEB = "web", _("Situs web")
        API = "api", _("Aplikasi (API)")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="privacy_acceptances")
    version = models.CharField(max_length=32)
    accepted_at = models.DateTimeField(default=timezone.now)
    channel = models.CharField(max_length=8, choices=Channel.choices)

    class Meta:
        verbose_name = pgettext_lazy("model name", "persetujuan pemberitahuan privasi")
        verbose_name_plural = pgettext_lazy(
            "model name plural", "persetujuan pemberitahuan privasi"
        )
        indexes = [models.Index(fields=["user", "accepted_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} accepted {self.version} at {self.accepted_at:%Y-%m-%d %H:%M}"
