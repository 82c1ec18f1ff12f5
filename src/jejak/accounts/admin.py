"""Accounts in Django admin. An account's data (name, phone number, e-mail, tokens, sign-in
records) is personal data: every list and detail page is an audited read
(audit/admin_reads.py) naming the account's own person (audit/subjects.py; staff have
none). The user list finds a visitor by an exact phone number through its keyed hash,
never by the number in clear, and the audit row keeps it masked.

django-axes' sign-in records and django-otp's devices are registered here again, with
the same audit: they name staff accounts and the addresses they signed in from."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from jejak.accounts.models import ApiToken, User
from jejak.audit import subjects
from jejak.audit.admin_reads import AuditedReadsAdmin, mask_search
from jejak.core.phone import PhoneInvalid, mask_phone, normalize_phone, phone_index

if TYPE_CHECKING:
    # Generic only in django-stubs: Django's classes cannot be subscripted at run time.
    _UserAdminBase = BaseUserAdmin[User]
else:
    _UserAdminBase = BaseUserAdmin


def _phone(term: str) -> str:
    """The term as a normalised mobile number, or "" when it is not one."""
    if not any(c.isdigit() for c in term):
        return ""
    try:
        return normalize_phone(term)
    except PhoneInvalid:
        return ""


class _OwnPersonSubjects(AuditedReadsAdmin[Any]):
    """Rows of (or belonging to) an account: its own person is the subject."""

    account_field = "user_id"

    def read_subjects(self, rows: Sequence[Any]) -> Iterable[str]:
        return subjects.of_accounts(getattr(row, self.account_field) for row in rows).values()


@admin.register(User)
class UserAdmin(_OwnPersonSubjects, _UserAdminBase):
    account_field = "pk"
    list_display = ("username", "get_full_name", "role", "region", "is_active")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("username", "first_name", "last_name", "email")
    search_help_text = "username, name, e-mail, or a visitor's exact phone number (keyed hash)"
    autocomplete_fields = ("region", "venues")
    filter_horizontal = ("sectors", "groups", "user_permissions")
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        (
            "Jejak",
            {"fields": ("role", "region", "agency", "sectors", "venues", "phone", "position")},
        ),
    )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[User], search_term: str
    ) -> tuple[QuerySet[User], bool]:
        number = _phone(search_term.strip())
        if number:
            return queryset.filter(phone_index=phone_index(number)), False
        return super().get_search_results(request, queryset, search_term)

    def masked_search(self, term: str) -> str:
        number = _phone(term.strip())
        return mask_phone(number) if number else mask_search(term)


@admin.register(ApiToken)
class ApiTokenAdmin(_OwnPersonSubjects):
    list_display = ("name", "user", "created_at", "last_used_at", "expires_at", "revoked_at")
    readonly_fields = ("digest", "created_at", "last_used_at")
    search_fields = ("name", "user__username")


# Staff's sign-in records (axes: the name typed, the address, the browser) have no
# subject key; the reads are recorded all the same. Second-factor devices belong to an
# account.
for model, base, subject in (
    (AccessAttempt, AccessAttemptAdmin, AuditedReadsAdmin),
    (AccessFailureLog, AccessFailureLogAdmin, AuditedReadsAdmin),
    (AccessLog, AccessLogAdmin, AuditedReadsAdmin),
    (StaticDevice, StaticDeviceAdmin, _OwnPersonSubjects),
    (TOTPDevice, TOTPDeviceAdmin, _OwnPersonSubjects),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, type(f"Audited{base.__name__}", (subject, base), {}))
