"""Rule sets in Django admin, editable by whoever may manage them (the issuer); the
document is validated and the effective range checked before anything is saved."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext as _

from jejak.accounts.capabilities import Cap, has_capability
from jejak.audit import service as audit
from jejak.screening import ruleset
from jejak.screening.models import RuleSet
from jejak.screening.service import overlapping

if TYPE_CHECKING:
    # Generic only in django-stubs: Django's classes cannot be subscripted at run time.
    _RuleSetFormBase = forms.ModelForm[RuleSet]
    _RuleSetAdminBase = admin.ModelAdmin[RuleSet]
else:
    _RuleSetFormBase = forms.ModelForm
    _RuleSetAdminBase = admin.ModelAdmin


class RuleSetForm(_RuleSetFormBase):
    class Meta:
        model = RuleSet
        fields = ["slug", "name", "effective_from", "effective_until", "document"]

    def clean_document(self) -> Any:
        document = self.cleaned_data["document"]
        problems = ruleset.validate_document(document, allow_metadata=False)
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
        clashes = overlapping(
            effective_from=start, effective_until=end, exclude_pk=self.instance.pk
        )
        if clashes:
            # Two sets in force at once would make a decision depend on query order.
            self.add_error(
                "effective_from",
                _("Bertumpang tindih dengan %(slugs)s; akhiri aturan sebelumnya lebih dulu.")
                % {"slugs": ", ".join(other.slug for other in clashes)},
            )
        return cleaned


@admin.register(RuleSet)
class RuleSetAdmin(_RuleSetAdminBase):
    form = RuleSetForm
    list_display = ["slug", "name", "effective_from", "effective_until", "created_by"]
    readonly_fields = ("created_at", "created_by")
    search_fields = ["slug", "name"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_capability(request.user, Cap.MANAGE_RULE_SETS)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_capability(request.user, Cap.MANAGE_RULE_SETS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return has_capability(request.user, Cap.MANAGE_RULE_SETS)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_capability(request.user, Cap.MANAGE_RULE_SETS)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Decisions and passes name rule sets by slug; a set in use ends, it is not deleted.
        return False

    def save_model(self, request: HttpRequest, obj: RuleSet, form: Any, change: bool) -> None:
        if not change:
            obj.created_by_id = request.user.pk
        super().save_model(request, obj, form, change)
        audit.record(
            actor=request.user,
            action="screening.rule_set_changed" if change else "screening.rule_set_added",
            obj=obj,
            slug=obj.slug,
            fields=sorted(form.changed_data),
        )
