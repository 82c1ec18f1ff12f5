"""The shape every refusal shares: a stable reason code, a sentence for people, and the
HTTP status the API answers with."""

from __future__ import annotations

from typing import ClassVar

from django.db.models import TextChoices


class ReasonedError(Exception):
    """Subclasses name their reason codes (`reasons`) and their HTTP statuses (`statuses`)."""

    reasons: ClassVar[type[TextChoices]]
    # Refusals that never reach the API directly may leave this empty (400 then).
    statuses: ClassVar[dict[str, int]] = {}

    def __init__(self, code: TextChoices | str, message: str | None = None) -> None:
        self.code = self.reasons(code)
        self.message = message if message is not None else str(self.code.label)
        super().__init__(self.message)

    @property
    def http_status(self) -> int:
        return self.statuses.get(self.code, 400)
