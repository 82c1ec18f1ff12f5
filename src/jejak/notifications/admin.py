"""The outbox, read-only: messages change only through notifications/outbox.py. Addresses
are shown masked, never decrypted; the list and each message (its text may concern
someone's health) are audited reads naming the recipients and the people a message is
about (audit/admin_reads.py, notifications/subjects.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import chain
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from jejak.audit import service as audit
from jejak.audit import subjects as audit_subjects
from jejak.audit.admin_reads import AuditedReadsAdmin
from jejak.notifications import outbox, subjects
from jejak.notifications.models import Message


@admin.register(Message)
class MessageAdmin(AuditedReadsAdmin[Message]):
    read_action_prefix = "notifications"
    list_display = [
        "id",
        "channel",
        "template",
        "ref",
        "recipient_masked",
        "status",
        "attempts",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status", "channel", "template"]
    list_select_related = ["to_user", "to_person"]
    search_fields = ["ref__startswith", "template"]
    search_help_text = "the start of a ref (e.g. tracing.case:12) or a template name"
    date_hierarchy = "created_at"
    readonly_fields = (
        "to_user",
        "to_person",
        "address_masked",
        "channel",
        "template",
        "language",
        "ref",
        "subject",
        "body",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
        "read_at",
    )
    fields = readonly_fields
    actions = ["retry_now"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Message]:
        return super().get_queryset(request).defer("address_encrypted")

    @admin.action(description="Send the selected failed messages again now")
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        count = outbox.retry(list(queryset.values_list("pk", flat=True)))
        audit.record(actor=request.user, action="notifications.admin_retry", count=count)
        self.message_user(request, f"{count} message(s) queued again.", messages.SUCCESS)

    def read_subjects(self, rows: Sequence[Message]) -> Iterable[str]:
        # The recipient (a person, or an account's own person) and whom the text is about.
        accounts = audit_subjects.of_accounts(m.to_user_id for m in rows)
        recipients = [
            m.to_person.nik_index if m.to_person else accounts.get(m.to_user_id or 0, "")
            for m in rows
        ]
        return chain(recipients, chain.from_iterable(subjects.about(rows).values()))
