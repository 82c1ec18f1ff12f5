"""Fixtures of the screening tests: visitors with profiles, guards, fresh key caches."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from jejak.accounts.roles import Role
from jejak.qrcodes import keys
from jejak.regions.models import Region
from jejak.screening.tests.factories import make_person


@pytest.fixture(autouse=True)
def _fresh_key_cache() -> Iterator[None]:
    # Each test's database rolls back; keys cached in memory must not outlive it.
    keys.invalidate_cache()
    yield
    keys.invalidate_cache()


@pytest.fixture
def visitor(make_user: Callable[..., Any], city: Region) -> Any:
    # `city` loads Banten (36) and Kota Tangerang (36.71), which the test NIKs start with.
    return make_user(Role.VISITOR)


@pytest.fixture
def person(visitor: Any) -> Any:
    return make_person(visitor)


@pytest.fixture
def visitor_client(visitor: Any) -> Client:
    client = Client()
    client.force_login(visitor)
    return client


@pytest.fixture
def guard_client(client_for: Callable[..., Client]) -> Client:
    return client_for(Role.VENUE_STAFF)
