"""PPKM data in Django admin, for the issuer. Every save goes through the services, so
rules are validated and versioned, levels are added (never edited) and both are audited.
City admins are not admin users: they schedule levels on the /ppkm/ page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from jejak.accounts.capabilities import signed_in_user
from jejak.accounts.jurisdiction import is_national
from jejak.ppkm import service
from jejak.ppkm.errors import PpkmError, PpkmErrorCode
from jejak.ppkm.models import LevelAssignment, SectorRule
from jejak.screening.models import Colour

if TYPE_CHECKING:
    # Generic only in django-stubs: Django's classes cannot be subscripted at run time.
    # Shared by the admins of two models, each saving its own model: no single model type.
    _IssuerOnlyBase = admin.ModelAdmin[Any]
    _LevelAssignmentFormBase = forms.ModelForm[LevelAssignment]
    _SectorRuleFormBase = forms.ModelForm[SectorRule]
else:
    _IssuerOnlyBase = admin.ModelAdmin
    _LevelAssignmentFormBase = _SectorRuleFormBase = forms.ModelForm


ADMISSIBLE = [(c.value, c.label) for c in Colour if c.value != Colour.HITAM]


class _IssuerOnly(_IssuerOnlyBase):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_national(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_national(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Decisions name the level and rule version that made them; history stays.
        return False


class LevelAssignmentForm(_LevelAssignmentFormBase):
    class Meta:
        model = LevelAssignment
        fields = ["region", "level", "effective_from", "reason"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        region, date = cleaned.get("region"), cleaned.get("effective_from")
        if region and date and LevelAssignment.objects.filter(region=region, effective_from=date):
            self.add_error("effective_from", str(PpkmErrorCode.ALREADY_SCHEDULED.label))
        return cleaned


@admin.register(LevelAssignment)
class LevelAssignmentAdmin(_IssuerOnly):
    form = LevelAssignmentForm
    list_display = ["region", "level", "effective_from", "reason", "set_by", "created_at"]
    list_filter = ["level"]
    search_fields = ["region__code", "region__name", "reason"]
    autocomplete_fields = ["region"]
    ordering = ["region__code", "-effective_from"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_national(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A level is never edited in place: a change is a new assignment.
        return False

    def save_model(
        self, request: HttpRequest, obj: LevelAssignment, form: Any, change: bool
    ) -> None:
        created = service.assign_level(
            region=obj.region,
            level=obj.level,
            effective_from=obj.effective_from,
            actor=signed_in_user(request),
            reason=obj.reason,
        )
        obj.pk = created.pk
        obj.set_by_id = created.set_by_id
        obj.created_at = created.created_at
        obj._state.adding = False


class SectorRuleForm(_SectorRuleFormBase):
    guest_colours = forms.MultipleChoiceField(
        choices=ADMISSIBLE, widget=forms.CheckboxSelectMultiple, required=False
    )
    employee_colours = forms.MultipleChoiceField(
        choices=ADMISSIBLE, widget=forms.CheckboxSelectMultiple, required=False
    )
    staff_check_colours = forms.MultipleChoiceField(
        choices=ADMISSIBLE, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = SectorRule
        fields = ["level", "sector", *sorted(service.RULE_FIELDS)]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        values = {name: cleaned.get(name) for name in service.RULE_FIELDS}
        for name, problem in service.rule_problems(values).items():
            if name not in self.errors:
                self.add_error(name, problem)
        return cleaned


@admin.register(SectorRule)
class SectorRuleAdmin(_IssuerOnly):
    form = SectorRuleForm
    list_display = [
        "level",
        "sector",
        "capacity_percent",
        "opens_at",
        "closes_at",
        "max_stay_minutes",
        "children_rule",
        "version",
        "updated_by",
    ]
    list_filter = ["level", "sector"]
    list_select_related = ["sector", "updated_by"]
    readonly_fields = ["version", "updated_at", "updated_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_national(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_national(request.user)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Level and sector are the rule's identity; a rule for another pair is a new rule.
        fixed = ["level", "sector"] if obj is not None else []
        return [*fixed, *self.readonly_fields]

    def save_model(self, request: HttpRequest, obj: SectorRule, form: Any, change: bool) -> None:
        fields = {name: form.cleaned_data[name] for name in service.RULE_FIELDS}
        if change:
            fields = {name: value for name, value in fields.items() if name in form.changed_data}
            if not fields:
                return
        try:
            if change:
                saved = service.update_sector_rule(
                    rule=obj, actor=signed_in_user(request), **fields
                )
            else:
                saved = service.create_sector_rule(
                    level=obj.level, sector=obj.sector, actor=signed_in_user(request), **fields
                )
        except PpkmError as exc:  # the form validated the same rules; a race, at most
            raise forms.ValidationError(exc.message) from exc
        obj.pk = saved.pk
        obj.version = saved.version
        obj.updated_at = saved.updated_at
        obj.updated_by_id = saved.updated_by_id
        obj._state.adding = False
