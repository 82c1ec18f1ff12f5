"""What the health app announces to the apps above it.

Health records sit below contact tracing in the import layers (docs/architecture.md):
the health import does not know tracing exists, it says what happened and tracing
listens (`tracing/apps.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.dispatch import Signal

# Sent once the import that stored them has committed, with `nik_indexes`: the people
# who have a new positive lab result, and `source`: the imported file's name. A
# receiver's failure never undoes the import.
positive_results_recorded = Signal()


@dataclass
class FollowUp:
    """Asked for by `jejak import-health --trace`: the receivers do all their work now, in
    this process (tracing: the whole mass run, not a background task), reporting
    `progress(done, total)` and adding a line each to `reports` when they are done."""

    progress: Callable[[int, int], None] | None = None
    reports: list[str] = field(default_factory=list)
    failed: bool = False  # a receiver could not finish its work


_follow_up: ContextVar[FollowUp | None] = ContextVar("health_follow_up", default=None)


@contextmanager
def follow_up_now(progress: Callable[[int, int], None] | None = None) -> Iterator[FollowUp]:
    """Around an import: what the receivers do about it happens before this returns."""
    follow = FollowUp(progress=progress)
    token = _follow_up.set(follow)
    try:
        yield follow
    finally:
        _follow_up.reset(token)


def follow_up_requested() -> FollowUp | None:
    """The caller's FollowUp when it asked for the work now (follow_up_now), else None."""
    return _follow_up.get()
