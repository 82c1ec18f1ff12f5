"""The checks every tracing write and audited read makes before it acts: the actor's
capability, the case in their jurisdiction (all of it, for some steps), the case open.

`actor` None is the system (a command run by IT staff, the health import's hook);
otherwise the actor needs the capability and the case in their jurisdiction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jejak.accounts.capabilities import Cap, require
from jejak.tracing import access
from jejak.tracing.access import cases_visible_to, refuse
from jejak.tracing.errors import Reason, TracingError
from jejak.tracing.models import Case, CaseStatus

if TYPE_CHECKING:
    from jejak.accounts.models import User


def check_actor(actor: User | None, cap: Cap) -> None:
    if actor is not None:
        require(actor, cap)


def check_case(actor: User | None, case: Case, cap: Cap, *, whole: str = "") -> None:
    """The capability, then the jurisdiction again (views check it too): a case outside
    it does not exist for this actor. With `whole` (the attempt's name), an actor who
    sees only part of the case is refused, audited."""
    check_actor(actor, cap)
    if actor is None:
        return
    if not cases_visible_to(actor).filter(pk=case.pk).exists():
        raise TracingError(Reason.CASE_NOT_FOUND)
    if whole and not access.sees_whole_case(actor, case):
        refuse(actor, Reason.HOME_REGION_ONLY, attempt=whole, obj=case)


def check_open(case: Case) -> None:
    if case.status == CaseStatus.CLOSED:
        raise TracingError(Reason.CASE_CLOSED)
