"""Reading in-app messages about someone else, audited.

An inbox is its owner's, and reading one's own messages (or one's dependants') is no
audited read. A message about another person (`subjects.about`: a health officer's
black-status alert with the person's masked NIK) is: the list or the message that shows
it writes one `audit.record_read` naming those people, with the messages' ids."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain
from typing import TYPE_CHECKING

from jejak.audit import service as audit
from jejak.audit.models import Purpose
from jejak.notifications import subjects
from jejak.notifications.models import Message

if TYPE_CHECKING:
    from jejak.accounts.models import RequestUser


def audit_shown(
    user: RequestUser, messages: Iterable[Message], *, action: str, ip: str | None = None
) -> None:
    """Record the read of the shown messages that are about someone else (none: no row)."""
    about = subjects.about(messages)
    if not about:
        return
    audit.record_read(
        actor=user,
        action=action,
        purpose=Purpose.NOTIFICATION,
        subjects=chain.from_iterable(about.values()),
        ip=ip,
        messages=sorted(about),
    )
