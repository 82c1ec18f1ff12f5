"""The registry_file backend answers from the imported residents."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from jejak.demo.builder import REGIONS_CSV
from jejak.identity.backends.registry_file import RegistryFileBackend
from jejak.identity.port import Outcome, family_card_index, verify
from jejak.people.registry_import import import_registry
from jejak.regions.imports import import_regions

EXTRACT = (
    "nik,full_name,birth_date,sex,family_card,region_code,died_on\n"
    "3671011205900001,BUDI SANTOSO,1990-05-12,M,3671010102150001,36.71.01,\n"
    "3671010101400001,SLAMET,1940-01-01,M,3671010102150001,36.71.01,2021-03-04\n"
)


@pytest.fixture
def registry(db):
    import_regions(REGIONS_CSV)
    report = import_registry(io.BytesIO(EXTRACT.encode()), actor=None)
    assert report.ok, report.errors


def check(nik: str, name: str, born: dt.date):
    return RegistryFileBackend().verify(nik=nik, full_name=name, birth_date=born)


def test_an_imported_resident_matches_with_its_family_card(registry):
    result = check("3671011205900001", "Budi Santoso", dt.date(1990, 5, 12))
    assert result.outcome == Outcome.MATCH and result.matched
    assert result.backend == "registry_file"
    assert result.family_card_index == family_card_index("3671010102150001")
    assert result.region_code == "36.71.01"


def test_the_port_uses_the_registry_file_backend_by_default(registry, settings):
    settings.JEJAK_IDENTITY_BACKEND = "registry_file"
    assert verify(
        nik="3671011205900001", full_name="BUDI SANTOSO", birth_date=dt.date(1990, 5, 12)
    ).matched


def test_a_nik_not_in_the_extract_is_not_found(registry):
    result = check("3671011205900002", "Budi Santoso", dt.date(1990, 5, 12))
    assert result.outcome == Outcome.NOT_FOUND and not result.matched
    assert result.family_card_index == ""


def test_another_birth_date_is_a_mismatch(registry):
    result = check("3671011205900001", "Budi Santoso", dt.date(1990, 5, 13))
    assert result.outcome == Outcome.BIRTH_DATE_MISMATCH


def test_a_deceased_resident_does_not_verify(registry):
    result = check("3671010101400001", "Slamet", dt.date(1940, 1, 1))
    assert result.outcome == Outcome.DECEASED and not result.matched


def test_another_name_is_a_mismatch(registry):
    result = check("3671011205900001", "Budi Santosa", dt.date(1990, 5, 12))
    assert result.outcome == Outcome.NAME_MISMATCH
