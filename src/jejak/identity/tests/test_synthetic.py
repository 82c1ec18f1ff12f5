"""The synthetic registry: valid NIKs, families on one KK, the same rows for the same seed."""

from __future__ import annotations

import io
from collections import defaultdict

import pytest
from django.core.management import call_command

from jejak.demo.builder import REGIONS_CSV
from jejak.identity.synthetic import DISTRICTS, ResidentRow, residents, write_csv
from jejak.people.nik import parse_nik
from jejak.people.registry_import import import_registry
from jejak.regions.imports import import_regions


@pytest.fixture
def tangerang(db):
    import_regions(REGIONS_CSV)


def test_every_nik_is_valid_for_its_birth_date_and_sex(tangerang):
    rows = list(residents(300, seed=1))
    for row in rows:
        info = parse_nik(row.nik, birth_date=row.birth_date, sex=row.sex)
        assert info.district_code == row.region_code
    assert len({row.nik for row in rows}) == 300
    assert {row.region_code for row in residents(2000, seed=1)} == set(DISTRICTS)


def test_families_share_a_family_card():
    families: defaultdict[str, list[ResidentRow]] = defaultdict(list)
    for row in residents(2000, seed=2):
        families[row.family_card].append(row)
    assert 300 < len(families) < 1500
    assert any(len(members) >= 4 for members in families.values())
    for card, members in families.items():
        assert len(card) == 16 and card.isdigit()
        assert {m.region_code for m in members} == {members[0].region_code}
        assert card.startswith(members[0].region_code.replace(".", ""))
        # After the head and his wife come their children, and at most one grandparent.
        if members[0].sex == "M" and len(members) > 2:
            older = [m for m in members[2:] if m.birth_date < members[0].birth_date]
            assert len(older) <= 1


def test_same_seed_same_rows_other_seed_other_rows():
    assert list(residents(500, seed=7)) == list(residents(500, seed=7))
    assert list(residents(500, seed=7)) != list(residents(500, seed=8))
    assert len(list(residents(37, seed=7))) == 37


def test_reserved_numbers_are_never_used():
    taken = list(residents(400, seed=3))
    again = list(residents(400, seed=3, reserved=taken))
    assert not {r.nik for r in taken} & {r.nik for r in again}
    assert not {r.family_card for r in taken} & {r.family_card for r in again}


def test_written_csv_imports(tangerang, tmp_path):
    out = tmp_path / "registry.csv"
    call_command("generate_registry", "250", "--out", str(out), "--seed", "4")
    report = import_registry(out, actor=None)
    assert report.ok, report.errors[:3]
    assert report.created == 250

    buffer = io.StringIO()
    write_csv(residents(250, seed=4), buffer)
    assert buffer.getvalue() == out.read_text(encoding="utf-8")
