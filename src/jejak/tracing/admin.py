"""The sector table (cluster periods) and the stored tracing profiles, read-only. Cases and
contacts are personal health data: officers read them on the audited tracing pages,
never in admin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

from jejak.tracing.models import TracingProfile, VenueTypeWeight

if TYPE_CHECKING:
    # Generic only in django-stubs: Django's classes cannot be subscripted at run time.
    _VenueTypeWeightAdminBase = admin.ModelAdmin[VenueTypeWeight]
    _TracingProfileAdminBase = admin.ModelAdmin[TracingProfile]
else:
    _VenueTypeWeightAdminBase = admin.ModelAdmin
    _TracingProfileAdminBase = admin.ModelAdmin


@admin.register(VenueTypeWeight)
class VenueTypeWeightAdmin(_VenueTypeWeightAdminBase):
    # The weights and minimums a search uses are its tracing profile's; these columns
    # were the source of the "legacy" profile and are kept read-only as its record.
    list_display = ("sector", "setting", "weight", "min_contact_minutes", "cluster_period_days")
    list_editable = ("setting", "cluster_period_days")
    readonly_fields = ("weight", "min_contact_minutes")
    list_select_related = ("sector",)


@admin.register(TracingProfile)
class TracingProfileAdmin(_TracingProfileAdminBase):
    """Profiles are loaded with `jejak load-tracing-profile` and never edited: a stored
    version explains every search that used it."""

    list_display = ("slug", "version", "name", "pathogen", "loaded_at", "loaded_by")
    list_filter = ("slug",)
    readonly_fields = ("slug", "version", "name", "pathogen", "document", "loaded_at", "loaded_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
