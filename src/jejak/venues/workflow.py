"""The registration workflow: requested -> under review -> approved/rejected -> codes
issued -> installed -> suspended/revoked -> reissued.

`do_transition` is the only way a venue's status changes. It locks the venue row so two
officers clicking at once cannot both move it, checks the step is legal from the current
status and allowed for the actor's role and jurisdiction, and records who, when and why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jejak.accounts.capabilities import Cap, has_capability
from jejak.audit import service as audit
from jejak.venues import signals
from jejak.venues.models import Venue, VenueAction, VenueStatus, VenueTransition

if TYPE_CHECKING:
    from jejak.accounts.models import RequestUser, User

S = VenueStatus
Action = VenueAction


@dataclass(frozen=True)
class Step:
    sources: frozenset[str]
    target: str | None  # None: computed (resume returns to the status before suspension)
    capability: Cap
    needs_reason: bool = False


STEPS: dict[str, Step] = {
    Action.SUBMIT: Step(frozenset({S.REGISTERED, S.REJECTED}), S.REQUESTED, Cap.SUBMIT_REQUESTS),
    Action.START_REVIEW: Step(frozenset({S.REQUESTED}), S.UNDER_REVIEW, Cap.REVIEW_REQUESTS),
    Action.APPROVE: Step(frozenset({S.REQUESTED, S.UNDER_REVIEW}), S.APPROVED, Cap.REVIEW_REQUESTS),
    Action.REJECT: Step(
        frozenset({S.REQUESTED, S.UNDER_REVIEW}), S.REJECTED, Cap.REVIEW_REQUESTS, True
    ),
    Action.ISSUE: Step(frozenset({S.APPROVED}), S.ISSUED, Cap.ISSUE_CODES),
    Action.INSTALL: Step(frozenset({S.ISSUED}), S.INSTALLED, Cap.CONFIRM_INSTALLATION),
    Action.SUSPEND: Step(frozenset({S.ISSUED, S.INSTALLED}), S.SUSPENDED, Cap.SUSPEND_CODES, True),
    Action.RESUME: Step(frozenset({S.SUSPENDED}), None, Cap.SUSPEND_CODES),
    Action.REVOKE: Step(
        frozenset({S.ISSUED, S.INSTALLED, S.SUSPENDED}), S.REVOKED, Cap.REVOKE_CODES, True
    ),
    Action.REISSUE: Step(
        frozenset({S.ISSUED, S.INSTALLED, S.SUSPENDED, S.REVOKED}),
        S.ISSUED,
        Cap.ISSUE_CODES,
        True,
    ),
}


class WorkflowError(Exception):
    """A refused step, with a stable code for the API and a sentence for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def allowed_actions(venue: Venue, user: RequestUser) -> list[Action]:
    """The steps this user may take on this venue now (for buttons; do_transition re-checks)."""
    return [
        Action(a)
        for a, step in STEPS.items()
        if venue.status in step.sources and has_capability(user, step.capability)
    ]


def _status_before_suspension(venue: Venue) -> str:
    last = (
        venue.transitions.filter(to_status=S.SUSPENDED).order_by("-at", "-id").only("from_status")
    ).first()
    return last.from_status if last else S.ISSUED


def do_transition(
    *,
    venue: Venue,
    action: str,
    actor: User | None,
    reason: str = "",
    effective_date: dt.date | None = None,
    photo: UploadedFile[bytes] | None = None,
) -> VenueTransition:
    """Move `venue` one step along the workflow, or raise WorkflowError saying why not."""
    step = STEPS.get(action)
    if step is None:
        raise WorkflowError("unknown_action", f"Unknown action {action!r}.")
    # actor=None is the system itself (the demo, a management command run by IT staff).
    if actor is not None and not has_capability(actor, step.capability):
        raise WorkflowError("forbidden", str(_("Peran Anda tidak boleh melakukan langkah ini.")))
    if actor is not None and not Venue.objects.visible_to(actor).filter(pk=venue.pk).exists():
        raise WorkflowError("forbidden", str(_("Tempat ini di luar wilayah kewenangan Anda.")))
    reason = (reason or "").strip()
    if step.needs_reason and not reason:
        raise WorkflowError("reason_required", str(_("Langkah ini memerlukan alasan.")))
    if photo is not None:
        _check_photo(photo)
    today = timezone.localdate()
    if effective_date is not None and effective_date > today:
        raise WorkflowError(
            "date_in_future", str(_("Tanggal pemasangan tidak boleh di masa depan."))
        )

    with transaction.atomic():
        locked = Venue.objects.select_for_update().get(pk=venue.pk)
        if locked.status not in step.sources:
            raise WorkflowError(
                "illegal_transition",
                str(
                    _("Tidak bisa '%(action)s' dari status '%(status)s'.")
                    % {"action": Action(action).label, "status": locked.get_status_display()}
                ),
            )
        target = step.target or _status_before_suspension(locked)
        if action in (Action.ISSUE, Action.REISSUE):
            if not locked.entry_points.exists():
                raise WorkflowError(
                    "no_entry_points", str(_("Tambahkan minimal satu pintu masuk dulu."))
                )
            signals.codes_issued.send(sender=Venue, venue=locked)
        elif action == Action.REVOKE:
            signals.codes_revoked.send(sender=Venue, venue=locked)

        now = timezone.now()
        event = VenueTransition.objects.create(
            venue=locked,
            action=action,
            from_status=locked.status,
            to_status=target,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            at=now,
            reason=reason,
            effective_date=(effective_date or today) if action == Action.INSTALL else None,
            photo=photo or "",
        )
        Venue.objects.filter(pk=locked.pk).update(status=target, status_changed_at=now)
        audit.record(actor=actor, action=f"venue.{action}", obj=locked, to=target, reason=reason)
    venue.status, venue.status_changed_at = target, now
    return event


MAX_PHOTO_BYTES = 8 * 1024 * 1024


def _check_photo(photo: UploadedFile[bytes]) -> None:
    from django import forms
    from django.core.exceptions import ValidationError

    if photo.size is not None and photo.size > MAX_PHOTO_BYTES:
        raise WorkflowError("photo_too_large", str(_("Foto maksimal 8 MB.")))
    try:
        forms.ImageField().clean(photo)
    except ValidationError as exc:
        raise WorkflowError(
            "photo_invalid", str(_("Berkas foto bukan gambar yang valid."))
        ) from exc
    photo.seek(0)


@dataclass
class BulkResult:
    done: list[Venue] = field(default_factory=list)
    refused: list[tuple[Venue, WorkflowError]] = field(default_factory=list)


def do_bulk_transition(
    *, venues: Iterable[Venue], action: str, actor: User | None, reason: str = ""
) -> BulkResult:
    """Apply one step to many venues; each succeeds or is refused on its own, with its reason."""
    result = BulkResult()
    for venue in venues:
        try:
            do_transition(venue=venue, action=action, actor=actor, reason=reason)
        except WorkflowError as exc:
            result.refused.append((venue, exc))
        else:
            result.done.append(venue)
    return result
