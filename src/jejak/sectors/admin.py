from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin

from jejak.sectors.models import Agency, Sector

if TYPE_CHECKING:
    # Generic only in django-stubs: Django's classes cannot be subscripted at run time.
    _SectorAdminBase = admin.ModelAdmin[Sector]
    _AgencyAdminBase = admin.ModelAdmin[Agency]
else:
    _SectorAdminBase = _AgencyAdminBase = admin.ModelAdmin


@admin.register(Sector)
class SectorAdmin(_SectorAdminBase):
    list_display = ("slug", "name_id", "name_en", "parent", "position")
    search_fields = ("slug", "name_id", "name_en")
    prepopulated_fields = {"slug": ("name_en",)}


@admin.register(Agency)
class AgencyAdmin(_AgencyAdminBase):
    list_display = ("name", "short_name", "region")
    filter_horizontal = ("sectors",)
    search_fields = ("name", "short_name")
    autocomplete_fields = ("region",)
