from __future__ import annotations

from django.contrib import admin

from jejak.audit.admin_reads import AuditedReadsAdmin
from jejak.followups.models import FollowUp


@admin.register(FollowUp)
class FollowUpAdmin(AuditedReadsAdmin[FollowUp]):
    # Officers' notes about a venue's people: an audited read, with no subject key.
    list_display = ["venue", "kind", "deadline", "done", "officer", "created_at"]
    list_filter = ["kind", "done"]
    search_fields = ["venue__short_code", "venue__name", "notes", "outcome"]
    raw_id_fields = ["venue", "officer"]
    date_hierarchy = "created_at"
