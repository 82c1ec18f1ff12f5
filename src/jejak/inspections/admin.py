from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin

from jejak.audit.admin_reads import AuditedReadsAdmin
from jejak.inspections.models import Closure, Inspection, InspectionCheck, InspectionPhoto

if TYPE_CHECKING:
    # Generic only in django-stubs: Django's classes cannot be subscripted at run time.
    _CheckInlineBase = admin.TabularInline[InspectionCheck, Inspection]
    _PhotoInlineBase = admin.TabularInline[InspectionPhoto, Inspection]
    _ClosureAdminBase = admin.ModelAdmin[Closure]
else:
    _CheckInlineBase = _PhotoInlineBase = admin.TabularInline
    _ClosureAdminBase = admin.ModelAdmin


class CheckInline(_CheckInlineBase):
    model = InspectionCheck
    extra = 0


class PhotoInline(_PhotoInlineBase):
    model = InspectionPhoto
    extra = 0


@admin.register(Inspection)
class InspectionAdmin(AuditedReadsAdmin[Inspection]):
    # Findings, photos and the officers' names: an audited read, with no subject key.
    list_display = ["venue", "planned_for", "status", "sanction", "inspector", "visited_at"]
    list_filter = ["status", "sanction"]
    search_fields = ["venue__short_code", "venue__name", "findings"]
    raw_id_fields = ["venue", "previous", "planned_by", "inspector"]
    inlines = [CheckInline, PhotoInline]
    date_hierarchy = "planned_for"


@admin.register(Closure)
class ClosureAdmin(_ClosureAdminBase):
    # Saving here drops the check-in path's closure snapshot too (signals.py).
    list_display = ["venue", "starts_at", "ends_at", "lifted_at"]
    search_fields = ["venue__short_code", "venue__name"]
    raw_id_fields = ["venue", "inspection", "lifted_by"]
    date_hierarchy = "starts_at"
