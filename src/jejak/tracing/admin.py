"""Only the venue-type weights are edited here. Cases and contacts are personal health
data: officers read them on the audited tracing pages, never in admin."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin

from jejak.tracing.models import VenueTypeWeight

if TYPE_CHECKING:
    # Generic only in django-stubs: Django's classes cannot be subscripted at run time.
    _VenueTypeWeightAdminBase = admin.ModelAdmin[VenueTypeWeight]
else:
    _VenueTypeWeightAdminBase = admin.ModelAdmin


@admin.register(VenueTypeWeight)
class VenueTypeWeightAdmin(_VenueTypeWeightAdminBase):
    list_display = ("sector", "setting", "weight", "min_contact_minutes", "cluster_period_days")
    list_editable = ("setting", "weight", "min_contact_minutes", "cluster_period_days")
    list_select_related = ("sector",)
