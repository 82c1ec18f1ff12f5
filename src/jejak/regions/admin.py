from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin

from jejak.regions.models import Region

if TYPE_CHECKING:
    # Generic only in django-stubs: Django's classes cannot be subscripted at run time.
    _RegionAdminBase = admin.ModelAdmin[Region]
else:
    _RegionAdminBase = admin.ModelAdmin


@admin.register(Region)
class RegionAdmin(_RegionAdminBase):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)
