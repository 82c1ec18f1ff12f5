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
        self._message = message
        super().__init__(code)

    @property
    def message(self) -> str:
        # The reason's sentence in the language active when it is read (a batch of
        # check-ins is decided in one thread and answered in each caller's language).
        return self._message if self._message is not None else str(self.code.label)

    def __str__(self) -> str:
        return self.message

    @property
    def http_status(self) -> int:
        return self.statuses.get(self.code, 400)


class DatabaseUnavailable(Exception):
    """The database failed under the work (down, restarting, a connection lost): nothing
    of it was stored, and the same request can be sent again shortly (the API's 503)."""
