"""Read-only admin: people change only through people/service.py, and the NIK is never
shown here in clear or as ciphertext, only masked. Every list or detail view is audited,
since it reads personal data outside the owner's own session."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from jejak.audit import service as audit
from jejak.people.masking import mask_nik
from jejak.people.models import Person
from jejak.people.nik import nik_index

if TYPE_CHECKING:
    # Generic only in django-stubs: Django's classes cannot be subscripted at run time.
    _PersonAdminBase = admin.ModelAdmin[Person]
else:
    _PersonAdminBase = admin.ModelAdmin


_NIK = re.compile(r"[0-9]{16}")


@admin.register(Person)
class PersonAdmin(_PersonAdminBase):
    list_display = ["public_id", "full_name", "nik_masked", "relation", "account", "created_at"]
    list_filter = ["relation"]
    list_select_related = ["account"]
    search_fields = ["public_id"]
    search_help_text = "public id, or an exact 16-digit NIK (matched by its keyed hash)"
    readonly_fields = (
        "public_id",
        "account",
        "relation",
        "nik_masked",
        "full_name",
        "birth_date",
        "sex",
        "created_at",
        "nik_claimed_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Person]:
        return super().get_queryset(request).defer("nik_encrypted")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Person], search_term: str
    ) -> tuple[QuerySet[Person], bool]:
        term = search_term.strip()
        if _NIK.fullmatch(term):
            return queryset.filter(nik_index=nik_index(term)), False
        return super().get_search_results(request, queryset, search_term)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        term = request.GET.get("q", "").strip()
        # A NIK searched for is personal data too: the audit row keeps it masked.
        searched = mask_nik(term) if _NIK.fullmatch(term) else term
        audit.record(actor=request.user, action="people.admin_list", search=searched)
        return super().changelist_view(request, extra_context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: Any = None,
    ) -> HttpResponse:
        person = self.get_object(request, object_id)
        if person is not None:
            audit.record(actor=request.user, action="people.admin_view", obj=person)
        return super().change_view(request, object_id, form_url, extra_context)
