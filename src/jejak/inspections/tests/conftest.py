"""Fixtures of the inspection tests: a hotel in Kota Tangerang, its manager, a Satpol PP
officer of the city, and a closure snapshot that never outlives a test."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jejak.accounts.roles import Role
from jejak.inspections import closures
from jejak.inspections.models import ChecklistItem
from jejak.inspections.service import Answer
from jejak.venues.models import Venue
from jejak.venues.tests.factories import VenueFactory


@pytest.fixture(autouse=True)
def _fresh_closures() -> Iterator[None]:
    # A rolled-back closure must not stay in the process snapshot for the next test
    # (SQLite reuses the ids of rolled-back rows).
    closures.invalidate(shared=False)
    yield
    closures.invalidate(shared=False)


@pytest.fixture
def hotel(city: Any) -> Venue:
    return VenueFactory(
        short_code="HOTEL-CSD",
        name="Hotel Cisadane",
        region=city.children.first(),
        entrances=["Pintu Utara", "Pintu Selatan"],
    )


@pytest.fixture
def officer(make_user: Callable[..., Any], city: Any) -> Any:
    return make_user(Role.ENFORCEMENT_OFFICER, region=city)


@pytest.fixture
def manager(make_user: Callable[..., Any], hotel: Venue) -> Any:
    return make_user(Role.VENUE_MANAGER, venues=[hotel])


def all_pass(**changes: str) -> dict[str, Answer]:
    answers = {item.value: Answer("pass") for item in ChecklistItem}
    answers.update({k: Answer(v, "catatan " + k) for k, v in changes.items()})
    return answers


def image_file(name: str = "foto.png", fmt: str = "PNG", size: tuple[int, int] = (8, 8)) -> Any:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")
