"""Django admin's reads of personal data, audited in one place.

Every ModelAdmin of a model that holds personal data derives from `AuditedReadsAdmin`
(core/tests/test_reads_audited.py fails for one that does not, unless the model is listed
as holding none). Each list page writes one audited read naming the people on the rows
shown (the current page only, never the whole table), each detail, history or delete
confirmation page one naming that row's people; the purpose is the admin's. A search term
is kept masked (digits and words cut to their first characters), never in clear: a NIK or
a phone number typed into the search box is personal data too.

The model's admin says whose data a row shows (`read_subjects`: NIK blind indexes,
`audit.subjects` for accounts) and may mask its own search terms better
(`masked_search`: a NIK as the NIK is masked everywhere else)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

from jejak.audit import service
from jejak.audit.models import Purpose

_M = TypeVar("_M", bound=Model)

if TYPE_CHECKING:
    # Generic only in django-stubs: Django's classes cannot be subscripted at run time.
    class _Base(admin.ModelAdmin[_M]):
        pass

else:

    class _Base(admin.ModelAdmin, Generic[_M]):
        pass


# Runs of five digits or more (NIKs, phone numbers, family cards) keep their first four
# (a regency's code, an operator's prefix); words keep their first letter.
_DIGITS = re.compile(r"\d{5,}")
_WORD = re.compile(r"[^\W\d_]{2,}")
_MAX_TERM = 100


def mask_search(term: str) -> str:
    """A search term as the audit log keeps it: "Sari 081234567890" -> "S*** 0812********"."""
    term = term.strip()[:_MAX_TERM]
    term = _DIGITS.sub(lambda m: m.group()[:4] + "*" * (len(m.group()) - 4), term)
    return _WORD.sub(lambda m: m.group()[0] + "*" * (len(m.group()) - 1), term)


# The query parameters of the changelist itself (its search, page, sort, popups), whose
# names say nothing of what was looked for; any other one is a filter.
_LIST_PARAMS = frozenset({"q", "p", "o", "_popup", "_to_field", "_facets", "e", "all"})


class AuditedReadsAdmin(_Base[_M]):
    """A ModelAdmin whose list, detail, history and delete-confirmation pages are audited
    reads (`audit.service.record_read`) naming the people the rows show."""

    read_purpose: ClassVar[str] = Purpose.ADMINISTRATION
    # The action's prefix: "<app>.<model>" unless set ("people" writes people.admin_list).
    read_action_prefix: ClassVar[str] = ""

    def read_subjects(self, rows: Sequence[_M]) -> Iterable[str]:
        """The NIK blind indexes of the people whose personal data these rows show: one
        query for a page of rows, not one per row. Nobody for data with no subject key
        (staff's sign-in records, a venue's contact person): the read is still recorded."""
        return ()

    def masked_search(self, term: str) -> str:
        return mask_search(term)

    def _action(self, view: str) -> str:
        meta = self.model._meta
        prefix = self.read_action_prefix or f"{meta.app_label}.{meta.model_name}"
        return f"{prefix}.{view}"

    def _record(
        self,
        request: HttpRequest,
        view: str,
        rows: Sequence[_M],
        obj: Model | None = None,
        **detail: Any,
    ) -> None:
        service.record_read(
            actor=request.user,
            action=self._action(view),
            purpose=self.read_purpose,
            subjects=self.read_subjects(rows),
            obj=obj,
            ip=request.META.get("REMOTE_ADDR") or None,
            **detail,
        )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is None:
            # An action's redirect, a bad filter's redirect: no rows were shown.
            return response
        # The page's rows; the template iterates the same, now evaluated, queryset.
        rows = list(changelist.result_list)
        detail: dict[str, Any] = {"search": self.masked_search(request.GET.get("q", ""))}
        filters = sorted(set(request.GET) - _LIST_PARAMS)
        if filters:
            detail["filters"] = filters  # names only: a value may be an identifier
        if "p" in request.GET:
            detail["page"] = request.GET["p"][:10]
        self._record(request, "admin_list", rows, **detail)
        return response

    def _shown(self, request: HttpRequest, object_id: str, view: str) -> None:
        obj = self.get_object(request, unquote(object_id))
        if obj is not None:
            self._record(request, view, [obj], obj=obj)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if self.has_view_or_change_permission(request):
            self._shown(request, object_id, "admin_view")
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if self.has_view_or_change_permission(request):
            self._shown(request, object_id, "admin_history")
        return super().history_view(request, object_id, extra_context)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # The confirmation page names the row and what it holds; a refusal shows nothing.
        if request.method != "POST" and self.has_delete_permission(request):
            self._shown(request, object_id, "admin_delete")
        return super().delete_view(request, object_id, extra_context)
