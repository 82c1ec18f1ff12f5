"""Health records are read-only here: they change only through imports and tracing, which
audit every change. No NIK is shown because none is stored; the list shows the start of
the blind index, enough to tell rows of one person apart. Every list and record shown is
an audited read naming the people (audit/admin_reads.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

from jejak.audit.admin_reads import AuditedReadsAdmin
from jejak.health.models import (
    Designation,
    HealthRecord,
    LabResult,
    TravelQuarantine,
    VaccinationDose,
    VaccinationExemption,
)

if TYPE_CHECKING:
    # Generic only in django-stubs: Django's classes cannot be subscripted at run time.
    _ReadOnlyRecordAdminBase = AuditedReadsAdmin[HealthRecord]
else:
    _ReadOnlyRecordAdminBase = AuditedReadsAdmin


class ReadOnlyRecordAdmin(_ReadOnlyRecordAdminBase):
    # Records are keyed by the NIK's blind index: the subject key itself.
    def read_subjects(self, rows: Sequence[Any]) -> Iterable[str]:
        return [row.nik_index for row in rows]

    # Search by the index a support engineer computed with blind_index, or its first
    # characters as shown in the list.
    search_fields = ("nik_index__startswith",)

    @admin.display(description="nik_index", ordering="nik_index")
    def nik_index_prefix(self, obj: Any) -> str:
        return f"{obj.nik_index[:12]}…"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(VaccinationDose)
class VaccinationDoseAdmin(ReadOnlyRecordAdmin):
    list_display = ("nik_index_prefix", "dose_number", "given_on", "product", "source")
    list_filter = ("source", "product", "single_dose_product")
    date_hierarchy = "given_on"


@admin.register(LabResult)
class LabResultAdmin(ReadOnlyRecordAdmin):
    list_display = ("nik_index_prefix", "method", "result", "specimen_at", "lab", "source")
    list_filter = ("source", "method", "result")
    date_hierarchy = "specimen_at"


@admin.register(Designation)
class DesignationAdmin(ReadOnlyRecordAdmin):
    list_display = ("nik_index_prefix", "kind", "starts_at", "ended_at", "source")
    list_filter = ("source", "kind")
    date_hierarchy = "starts_at"


@admin.register(TravelQuarantine)
class TravelQuarantineAdmin(ReadOnlyRecordAdmin):
    list_display = ("nik_index_prefix", "starts_on", "ends_on", "source")
    list_filter = ("source",)
    date_hierarchy = "starts_on"


@admin.register(VaccinationExemption)
class VaccinationExemptionAdmin(ReadOnlyRecordAdmin):
    list_display = ("nik_index_prefix", "starts_on", "ends_on", "source")
    list_filter = ("source",)
    date_hierarchy = "starts_on"
