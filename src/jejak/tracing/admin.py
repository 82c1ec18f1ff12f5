"""Only the venue-type weights are edited here. Cases and contacts are personal health
data: officers read them on the audited tracing pages, never in admin."""

from __future__ import annotations

from django.contrib import admin

from jejak.tracing.models import VenueTypeWeight


@admin.register(VenueTypeWeight)
class VenueTypeWeightAdmin(admin.ModelAdmin):
    list_display = ("sector", "setting", "weight", "min_contact_minutes", "cluster_period_days")
    list_editable = ("setting", "weight", "min_contact_minutes", "cluster_period_days")
    list_select_related = ("sector",)
