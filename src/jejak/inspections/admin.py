from django.contrib import admin

from jejak.inspections.models import Closure, Inspection, InspectionCheck, InspectionPhoto


class CheckInline(admin.TabularInline):
    model = InspectionCheck
    extra = 0


class PhotoInline(admin.TabularInline):
    model = InspectionPhoto
    extra = 0


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    list_display = ["venue", "planned_for", "status", "sanction", "inspector", "visited_at"]
    list_filter = ["status", "sanction"]
    search_fields = ["venue__short_code", "venue__name", "findings"]
    raw_id_fields = ["venue", "previous", "planned_by", "inspector"]
    inlines = [CheckInline, PhotoInline]
    date_hierarchy = "planned_for"


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    # Saving here drops the check-in path's closure snapshot too (signals.py).
    list_display = ["venue", "starts_at", "ends_at", "lifted_at"]
    search_fields = ["venue__short_code", "venue__name"]
    raw_id_fields = ["venue", "inspection", "lifted_by"]
    date_hierarchy = "starts_at"
