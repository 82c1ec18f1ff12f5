from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from jejak.accounts.roles import Role
from jejak.core.phone import mask_phone, phone_index, seal_phone
from jejak.identity.tests.factories import register_resident
from jejak.people import service
from jejak.people.models import Person
from jejak.people.service import MAX_DEPENDANTS
from jejak.people.tests.factories import (
    AGUS,
    BUDI,
    DEWI,
    RAFI,
    SITI,
    SRI,
    SRI_FAMILY_CARD,
    child,
    own,
)
from jejak.regions.models import Region

VISITOR_PHONE = "+6281234500001"


@pytest.fixture
def visitor(make_user: Callable[..., Any], city: Region) -> Any:
    # `city` loads Banten (36) and Kota Tangerang (36.71), which the test NIKs start with.
    user = make_user(Role.VISITOR)
    # Visitors sign in with their phone number, which is where their SMS go.
    user.phone_index = phone_index(VISITOR_PHONE)
    user.phone_encrypted = seal_phone(VISITOR_PHONE, index=user.phone_index)
    user.phone_masked = mask_phone(VISITOR_PHONE)
    user.save(update_fields=["phone_index", "phone_encrypted", "phone_masked"])
    return user


@pytest.fixture
def other_visitor(make_user: Callable[..., Any], city: Region) -> Any:
    return make_user(Role.VISITOR)


@pytest.fixture
def visitor_client(visitor: Any) -> Client:
    client = Client()
    client.force_login(visitor)
    return client


@pytest.fixture
def other_client(other_visitor: Any) -> Client:
    client = Client()
    client.force_login(other_visitor)
    return client


@pytest.fixture(autouse=True)
def registry(db: None) -> None:
    """Budi's family on one family card, as the civil registry holds it, and the many
    children the dependant-limit tests add; his mother Sri on a card of her own."""
    for person in (BUDI, SITI, RAFI, DEWI, AGUS, *(child(n) for n in range(MAX_DEPENDANTS + 2))):
        register_resident(**person)
    register_resident(**SRI, family_card=SRI_FAMILY_CARD)


@pytest.fixture
def holder(visitor: Any, registry: None) -> Person:
    """The visitor's own profile, Budi, verified: what adding dependants needs first."""
    return service.set_own_profile(account=visitor, **BUDI)


@pytest.fixture
def other_holder(other_visitor: Any, registry: None) -> Person:
    """Another account, Budi's sister Dewi, verified and on the same family card: she
    could add Siti or Rafi too, so only the NIK's holder stands in her way."""
    return service.set_own_profile(account=other_visitor, **own(DEWI))


@pytest.fixture
def make_holder(make_user: Callable[..., Any], registry: None) -> Callable[[dict], Any]:
    """make_holder(AGUS): a new visitor account whose verified own profile is that person."""

    def make(person: dict) -> Any:
        account = make_user(Role.VISITOR)
        service.set_own_profile(account=account, **own(person))
        return account

    return make


@pytest.fixture
def officer(make_user: Callable[..., Any], city: Region) -> Any:
    """A health officer of Kota Tangerang, where Budi's NIK is from."""
    return make_user(Role.HEALTH_OFFICER, region=city)


@pytest.fixture
def other_officer(make_user: Callable[..., Any], other_city: Region) -> Any:
    """A health officer of Kota Tangerang Selatan: out of reach of Budi's family."""
    return make_user(Role.HEALTH_OFFICER, region=other_city)


@pytest.fixture
def officer_client(officer: Any) -> Client:
    client = Client()
    client.force_login(officer)
    return client


@pytest.fixture
def other_officer_client(other_officer: Any) -> Client:
    client = Client()
    client.force_login(other_officer)
    return client
