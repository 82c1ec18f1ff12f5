"""Read-only admin views: keys and codes change only through the service functions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import Count, Model, Q, QuerySet
from django.http import HttpRequest

from jejak.qrcodes.models import CodeStatus, QrCode, SigningKey
from jejak.qrcodes.tokens import b64url

if TYPE_CHECKING:
    # Generic only in django-stubs: Django's classes cannot be subscripted at run time.
    _ReadOnlyAdminBase = admin.ModelAdmin[Model]
else:
    _ReadOnlyAdminBase = admin.ModelAdmin


class ReadOnlyAdmin(_ReadOnlyAdminBase):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SigningKey)
class SigningKeyAdmin(ReadOnlyAdmin):
    list_display = ["kid", "created_at", "retired_at", "active_codes"]
    # The encrypted private key is never shown, not even as ciphertext.
    readonly_fields = ("kid", "public_key_b64url", "created_at", "retired_at", "active_codes")
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[SigningKey]:
        return (
            super()
            .get_queryset(request)
            .defer("private_key_encrypted")
            .annotate(_active=Count("codes", filter=Q(codes__status=CodeStatus.ACTIVE)))
        )

    @admin.display(description="public key (base64url)")
    def public_key_b64url(self, obj: SigningKey) -> str:
        return b64url(bytes(obj.public_key))

    @admin.display(description="active codes", ordering="_active")
    def active_codes(self, obj: SigningKey) -> int:
        return getattr(obj, "_active", 0)


@admin.register(QrCode)
class QrCodeAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "entry_point", "status", "key", "issued_at", "ended_at"]
    list_filter = ["status"]
    search_fields = ["public_id", "entry_point__venue__short_code", "entry_point__venue__name"]
    list_select_related = ["entry_point__venue", "key"]
    date_hierarchy = "issued_at"
    readonly_fields = (
        "public_id",
        "entry_point",
        "status",
        "key",
        "token",
        "issued_at",
        "ended_at",
    )
    fields = readonly_fields
