from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from jejak.accounts.roles import Role
from jejak.identity.tests.factories import register_resident
from jejak.people.services import MAX_DEPENDANTS
from jejak.people.tests.factories import BUDI, RAFI, SITI, child
from jejak.regions.models import Region


@pytest.fixture
def visitor(make_user: Callable[..., Any], city: Region) -> Any:
    # `city` loads Banten (36) and Kota Tangerang (36.71), which the test NIKs start with.
    return make_user(Role.VISITOR)


@pytest.fixture
def other_visitor(make_user: Callable[..., Any], city: Region) -> Any:
    return make_user(Role.VISITOR)


@pytest.fixture
def visitor_client(visitor: Any) -> Client:
    client = Client()
    client.force_login(visitor)
    return client


@pytest.fixture(autouse=True)
def registry(db: None) -> None:
    """Budi's family on one family card, as the civil registry holds it, and the many
    children the dependant-limit tests add."""
    for person in (BUDI, SITI, RAFI, *(child(n) for n in range(MAX_DEPENDANTS + 2))):
        register_resident(**person)
