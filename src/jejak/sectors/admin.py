from django.contrib import admin

from jejak.sectors.models import Agency, Sector


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ("slug", "name_id", "name_en", "parent", "position")
    search_fields = ("slug", "name_id", "name_en")
    prepopulated_fields = {"slug": ("name_en",)}


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name", "region")
    filter_horizontal = ("sectors",)
    search_fields = ("name", "short_name")
    autocomplete_fields = ("region",)
