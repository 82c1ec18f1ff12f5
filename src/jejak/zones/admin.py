"""Zones in Django admin: threshold sets (issuer; documents validated and ranges checked
before anything is saved, as screening's rule sets), populations and the snapshots
(read-only: computed, never typed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _

from jejak.accounts.capabilities import Cap, has_capability
from jejak.zones import thresholds
from jejak.zones.models import Population, ThresholdSet, ZoneSnapshot

if TYPE_CHECKING:
    # Generic only in django-stubs: Django's classes cannot be subscripted at run time.
    _ThresholdFormBase = forms.ModelForm[ThresholdSet]
    _ThresholdAdminBase = admin.ModelAdmin[ThresholdSet]
    _PopulationAdminBase = admin.ModelAdmin[Population]
    _SnapshotAdminBase = admin.ModelAdmin[ZoneSnapshot]
else:
    _ThresholdFormBase = forms.ModelForm
    _ThresholdAdminBase = _PopulationAdminBase = _SnapshotAdminBase = admin.ModelAdmin


class ThresholdSetForm(_ThresholdFormBase):
    class Meta:
        model = ThresholdSet
        fields = ["slug", "name", "effective_from", "effective_until", "document"]

    def clean_document(self) -> Any:
        document = self.cleaned_data["document"]
        problems = thresholds.validate_document(document, allow_metadata=False)
        if problems:
            raise forms.ValidationError(problems)
        return document

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("effective_from"), cleaned.get("effective_until")
        if start is None:
            return cleaned
        if end is not None and end <= start:
            self.add_error("effective_until", _("Harus lebih lambat dari awal berlaku."))
            return cleaned
        clashes = ThresholdSet.objects.filter(
            Q(effective_until__isnull=True) | Q(effective_until__gt=start)
        ).exclude(pk=self.instance.pk)
        if end is not None:
            clashes = clashes.filter(effective_from__lt=end)
        if clashes.exists():
            # Two sets in force at once would make a zone depend on query order.
            self.add_error(
                "effective_from",
                _("Bertumpang tindih dengan %(slugs)s; akhiri ambang sebelumnya lebih dulu.")
                % {"slugs": ", ".join(other.slug for other in clashes)},
            )
        return cleaned


class _IssuerOnly:
    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_capability(request.user, Cap.MANAGE_RULE_SETS)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_capability(request.user, Cap.MANAGE_RULE_SETS)


@admin.register(ThresholdSet)
class ThresholdSetAdmin(_IssuerOnly, _ThresholdAdminBase):
    form = ThresholdSetForm
    list_display = ["slug", "name", "effective_from", "effective_until"]
    readonly_fields = ("created_at", "created_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return has_capability(request.user, Cap.MANAGE_RULE_SETS)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_capability(request.user, Cap.MANAGE_RULE_SETS)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Snapshots name the set that classified them.
        return False

    def save_model(self, request: HttpRequest, obj: ThresholdSet, form: Any, change: bool) -> None:
        if not change and request.user.is_authenticated:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Population)
class PopulationAdmin(_IssuerOnly, _PopulationAdminBase):
    list_display = ["region", "year", "population", "is_estimate", "source", "imported_at"]
    list_filter = ["is_estimate", "year"]
    search_fields = ["region__code", "region__name"]
    raw_id_fields = ["region"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # `jejak import-populations` checks every row

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ZoneSnapshot)
class ZoneSnapshotAdmin(_IssuerOnly, _SnapshotAdminBase):
    list_display = [
        "region",
        "computed_at",
        "cases",
        "population",
        "weekly_rate",
        "level",
        "zone",
        "thresholds",
    ]
    list_filter = ["zone", "thresholds"]
    search_fields = ["region__code", "region__name"]
    date_hierarchy = "computed_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
