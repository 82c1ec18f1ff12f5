from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from jejak.accounts.models import ApiToken, User

if TYPE_CHECKING:
    # Generic only in django-stubs: Django's classes cannot be subscripted at run time.
    _UserAdminBase = BaseUserAdmin[User]
    _ApiTokenAdminBase = admin.ModelAdmin[ApiToken]
else:
    _UserAdminBase = BaseUserAdmin
    _ApiTokenAdminBase = admin.ModelAdmin


@admin.register(User)
class UserAdmin(_UserAdminBase):
    list_display = ("username", "get_full_name", "role", "region", "is_active")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("username", "first_name", "last_name", "email")
    autocomplete_fields = ("region", "venues")
    filter_horizontal = ("sectors", "groups", "user_permissions")
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        (
            "Jejak",
            {"fields": ("role", "region", "agency", "sectors", "venues", "phone", "position")},
        ),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(_ApiTokenAdminBase):
    list_display = ("name", "user", "created_at", "last_used_at", "expires_at", "revoked_at")
    readonly_fields = ("digest", "created_at", "last_used_at")
    search_fields = ("name", "user__username")
