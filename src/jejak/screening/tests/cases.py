"""Helpers shared by the rule-set tables: run one case through the real service."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

from jejak.screening import service
from jejak.screening.tests.factories import Builder, born_years_before

ADULT_BORN = dt.date(1990, 5, 12)
_counter = itertools.count()


def run_case(
    builders: Sequence[Builder], *, at: dt.datetime, age: tuple[int, int] | None = None
) -> service.Status:
    """Write the case's records for a fresh NIK index and ask for its status at `at`.

    `age` is (years, days_later): born that many years before `at`'s date, shifted later
    by some days (so (18, 1) is someone who turns 18 tomorrow).
    """
    index = f"case-{next(_counter):06d}"
    for build in builders:
        build(index, at)
    born = born_years_before(at, age[0], days_later=age[1]) if age else ADULT_BORN
    return service.status(nik_index=index, birth_date=born, at=at)
