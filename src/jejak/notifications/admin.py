"""The outbox, read-only: messages change only through notifications/outbox.py. Addresses
are shown masked, never decrypted; opening a message (its text may concern someone's
health) is audited."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from jejak.audit import service as audit
from jejak.notifications import outbox
from jejak.notifications.models import Message

if TYPE_CHECKING:
    # Generic only in django-stubs: Django's classes cannot be subscripted at run time.
    _MessageAdminBase = admin.ModelAdmin[Message]
else:
    _MessageAdminBase = admin.ModelAdmin


@admin.register(Message)
class MessageAdmin(_MessageAdminBase):
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

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: Any = None,
    ) -> HttpResponse:
        message = self.get_object(request, object_id)
        if message is not None:
            audit.record(actor=request.user, action="notifications.admin_view", obj=message)
        return super().change_view(request, object_id, form_url, extra_context)
