from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jejak.ppkm import service


@pytest.fixture(autouse=True)
def _fresh_ppkm_snapshot() -> Iterator[None]:
    # A test's rows vanish with its transaction without a signal: never let the next
    # test read the previous one's snapshot.
    service.invalidate(shared=False)
    yield
    service.invalidate(shared=False)


@pytest.fixture
def assign(city: Any) -> Any:
    """assign(level, "2021-10-19", region=city): a level through the service, as the system."""
    import datetime as dt

    def make(level: int, date: str, region: Any = None, reason: str = "Uji") -> Any:
        return service.assign_level(
            region=region or city,
            level=level,
            effective_from=dt.date.fromisoformat(date),
            actor=None,
            reason=reason,
        )

    return make
