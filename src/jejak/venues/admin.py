from django.contrib import admin

from jejak.venues.models import EntryPoint, Venue, VenueTransition


class EntryPointInline(admin.TabularInline):
    model = EntryPoint
    extra = 0


class TransitionInline(admin.TabularInline):
    model = VenueTransition
    extra = 0
    can_delete = False
    readonly_fields = (
        "action",
        "from_status",
        "to_status",
        "actor",
        "at",
        "reason",
        "effective_date",
        "photo",
    )

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = ("short_code", "name", "sector", "region", "status", "capacity")
    list_filter = ("status", "sector")
    search_fields = ("short_code", "name")
    autocomplete_fields = ("region",)
    # Status moves only through the workflow service, which records who and why.
    readonly_fields = ("status", "status_changed_at", "created_at")
    inlines = [EntryPointInline, TransitionInline]
