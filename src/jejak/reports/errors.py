"""Why a report cannot be made: stable codes for the page, the CLI and tests."""

from __future__ import annotations

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from jejak.core.errors import ReasonedError


class ReportErrorCode(TextChoices):
    BAD_WEEK = "bad_week", _("Minggu tidak valid: tulis sebagai ISO week, misalnya 2021-W44.")
    FUTURE_WEEK = "future_week", _("Minggu ini belum dimulai.")
    UNKNOWN_REGION = "unknown_region", _("Kode wilayah tidak dikenal.")


class ReportError(ReasonedError):
    reasons = ReportErrorCode

    code: ReportErrorCode
