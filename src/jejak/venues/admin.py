from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.http import HttpRequest

from jejak.audit.admin_reads import AuditedReadsAdmin
from jejak.venues.models import EntryPoint, Venue, VenueTransition

if TYPE_CHECKING:
    # Generic only in django-stubs: Django's classes cannot be subscripted at run time.
    _EntryPointInlineBase = admin.TabularInline[EntryPoint, Venue]
    _TransitionInlineBase = admin.TabularInline[VenueTransition, Venue]
else:
    _EntryPointInlineBase = _TransitionInlineBase = admin.TabularInline


class EntryPointInline(_EntryPointInlineBase):
    model = EntryPoint
    extra = 0


class TransitionInline(_TransitionInlineBase):
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

    def has_add_permission(self, request: HttpRequest, obj: Venue | None = None) -> bool:
        return False


@admin.register(Venue)
class VenueAdmin(AuditedReadsAdmin[Venue]):
    # The coordinator's name, e-mail and phone number: an audited read, with no subject
    # key (a venue's contact person has no NIK here).
    list_display = ("short_code", "name", "sector", "region", "status", "capacity")
    list_filter = ("status", "sector")
    search_fields = ("short_code", "name")
    autocomplete_fields = ("region",)
    # Status moves only through the workflow service, which records who and why.
    readonly_fields = ("status", "status_changed_at", "created_at")
    inlines = [EntryPointInline, TransitionInline]
