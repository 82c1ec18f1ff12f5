"""Fixtures of the outbox tests: a test template (`hello`), visitors with phone numbers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from jejak.accounts.roles import Role
from jejak.core.phone import mask_phone, phone_index, seal_phone

TEMPLATES = Path(__file__).parent / "templates"


@pytest.fixture(autouse=True)
def _test_templates(settings: Any) -> None:
    # `hello` renders the active language and one string the catalogue already
    # translates ("Keluar" -> "Sign out"), so the tests do not wait for new translations.
    engine = {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], TEMPLATES]}
    settings.TEMPLATES = [engine, *settings.TEMPLATES[1:]]


@pytest.fixture(autouse=True)
def _sms_to_files(settings: Any, tmp_path: Path) -> None:
    settings.JEJAK_SMS_BACKEND = "file"
    settings.JEJAK_SMS_DIR = tmp_path / "sms"


def give_phone(user: Any, number: str) -> Any:
    index = phone_index(number)
    user.phone_index = index
    user.phone_encrypted = seal_phone(number, index=index)
    user.phone_masked = mask_phone(number)
    user.save(update_fields=["phone_index", "phone_encrypted", "phone_masked"])
    return user


@pytest.fixture
def make_visitor(make_user: Callable[..., Any]) -> Callable[..., Any]:
    def make(phone: str | None = None, **kwargs: Any) -> Any:
        user = make_user(Role.VISITOR, **kwargs)
        return give_phone(user, phone) if phone else user

    return make


@pytest.fixture
def visitor(make_visitor: Callable[..., Any]) -> Any:
    return make_visitor("+6281234567890", email="budi@example.org")


@pytest.fixture
def client_of() -> Callable[[Any], Client]:
    def make(user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
