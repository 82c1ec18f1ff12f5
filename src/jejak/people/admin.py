"""Read-only admin: people change only through people/service.py, and the NIK is never
shown here in clear or as ciphertext, only masked. Every list or detail view is an
audited read naming the people shown (audit/admin_reads.py), since it reads personal data
outside the owner's own session; a NIK searched for is kept masked."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from jejak.audit.admin_reads import AuditedReadsAdmin, mask_search
from jejak.people.masking import mask_nik
from jejak.people.models import Person
from jejak.people.nik import nik_index

_NIK = re.compile(r"[0-9]{16}")


@admin.register(Person)
class PersonAdmin(AuditedReadsAdmin[Person]):
    read_action_prefix = "people"
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

    def read_subjects(self, rows: Sequence[Person]) -> Iterable[str]:
        return [person.nik_index for person in rows]

    def masked_search(self, term: str) -> str:
        # A NIK searched for is personal data too: masked as everywhere else.
        term = term.strip()
        return mask_nik(term) if _NIK.fullmatch(term) else mask_search(term)
