from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin

from jejak.followups.models import FollowUp

if TYPE_CHECKING:
    # Generic only in django-stubs: Django's classes cannot be subscripted at run time.
    _FollowUpAdminBase = admin.ModelAdmin[FollowUp]
else:
    _FollowUpAdminBase = admin.ModelAdmin


@admin.register(FollowUp)
class FollowUpAdmin(_FollowUpAdminBase):
    list_display = ["venue", "kind", "deadline", "done", "officer", "created_at"]
    list_filter = ["kind", "done"]
    search_fields = ["venue__short_code", "venue__name", "notes", "outcome"]
    raw_id_fields = ["venue", "officer"]
    date_hierarchy = "created_at"
