"""Why a follow-up write is refused: stable codes shared by the pages and the API."""

from __future__ import annotations

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from jejak.core.errors import ReasonedError


class FollowUpErrorCode(TextChoices):
    FOLLOWUP_NOT_FOUND = "followup_not_found", _("Tindak lanjut tidak ditemukan.")
    INVALID_KIND = "invalid_kind", _("Jenis tindak lanjut tidak dikenal.")
    DEADLINE_IN_PAST = "deadline_in_past", _("Tenggat tidak boleh sebelum hari ini.")
    OUTCOME_REQUIRED = "outcome_required", _("Isi hasil tindak lanjut sebelum menandai selesai.")


class FollowUpError(ReasonedError):
    """A refused follow-up write, with a stable `code` and a sentence for the officer."""

    reasons = FollowUpErrorCode
    statuses = {
        FollowUpErrorCode.FOLLOWUP_NOT_FOUND: 404,
    }

    code: FollowUpErrorCode
