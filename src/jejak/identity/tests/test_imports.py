"""`jejak import-registry`: a registry extract in, residents upserted, all or nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from jejak.audit.models import AuditEvent
from jejak.core.crypto import decrypt
from jejak.demo.builder import REGIONS_CSV
from jejak.identity.models import Resident
from jejak.identity.port import family_card_index
from jejak.people.nik import nik_index
from jejak.people.registry_import import import_registry
from jejak.regions.imports import import_regions

HEADER = "nik,full_name,birth_date,sex,family_card,region_code,died_on\n"
BUDI = "3671011205900001,BUDI SANTOSO,1990-05-12,M,3671010102150001,36.71.01,\n"
SITI = "3671014308920002,SITI RAHAYU,1992-08-03,F,3671010102150001,36.71.01,\n"
KAKEK = "3671010101400001,SLAMET,1940-01-01,M,3671010102150001,36.71.01,2021-03-04\n"


@pytest.fixture
def tangerang(db):
    import_regions(REGIONS_CSV)


def extract(*rows: str, header: str = HEADER) -> io.BytesIO:
    return io.BytesIO((header + "".join(rows)).encode())


def test_imports_residents_with_keyed_indexes(tangerang):
    report = import_registry(extract(BUDI, SITI, KAKEK), actor=None, filename="dukcapil.csv")

    assert report.ok, report.errors
    assert (report.rows, report.created, report.updated) == (3, 3, 0)
    budi = Resident.objects.get(nik_index=nik_index("3671011205900001"))
    assert budi.full_name == "BUDI SANTOSO" and budi.sex == "M" and budi.died_on is None
    assert str(budi.birth_date) == "1990-05-12" and budi.region_code == "36.71.01"
    assert budi.family_card_index == family_card_index("3671010102150001")
    card = {r.family_card_index for r in Resident.objects.all()}
    assert len(card) == 1  # the family shares its KK
    assert str(Resident.objects.get(full_name="SLAMET").died_on) == "2021-03-04"


def test_encrypted_nik_decrypts_with_its_index_as_context(tangerang):
    import_registry(extract(BUDI, SITI), actor=None)
    budi, siti = Resident.objects.order_by("birth_date")
    aad = b"identity.nik:" + budi.nik_index.encode()
    assert decrypt(budi.nik_encrypted, aad=aad) == b"3671011205900001"
    assert b"3671011205900001" not in bytes(budi.nik_encrypted)
    from jejak.core.crypto import DecryptionError

    with pytest.raises(DecryptionError):  # a blob copied onto another row does not decrypt
        decrypt(budi.nik_encrypted, aad=b"identity.nik:" + siti.nik_index.encode())


def test_reimport_updates_by_nik_and_counts(tangerang):
    import_registry(extract(BUDI, SITI), actor=None)
    moved = "3671011205900001,BUDI SANTOSO,1990-05-12,M,3671050505210003,36.71.05,2021-10-01\n"

    report = import_registry(extract(moved, SITI, KAKEK), actor=None)

    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (1, 1, 1)
    assert Resident.objects.count() == 3
    budi = Resident.objects.get(nik_index=nik_index("3671011205900001"))
    assert budi.region_code == "36.71.05" and str(budi.died_on) == "2021-10-01"
    assert budi.family_card_index == family_card_index("3671050505210003")


def test_one_audit_row_per_import(tangerang):
    import_registry(extract(BUDI, SITI), actor=None, filename="a.csv")
    import_registry(extract(BUDI, KAKEK), actor=None, filename="b.csv")

    rows = list(AuditEvent.objects.filter(action="identity.registry_imported").order_by("id"))
    assert [r.detail for r in rows] == [
        {"filename": "a.csv", "rows": 2, "created": 2, "updated": 0, "unchanged": 0},
        {"filename": "b.csv", "rows": 2, "created": 1, "updated": 0, "unchanged": 1},
    ]
    assert rows[0].actor is None


def test_one_bad_row_means_nothing_is_written(tangerang):
    bad = [
        "3671011205900002,BUDI KEDUA,1990-05-13,M,3671010102150001,36.71.01,\n",  # 3
        "3671014308920003,SITI,1992-08-03,M,3671010102150001,36.71.01,\n",  # 4
        "1234,X,1990-01-01,M,3671010102150001,36.71.01,\n",  # 5
        "3671011205900001,BUDI LAGI,1990-05-12,M,3671010102150001,36.71.01,\n",  # 6
        "3671011305900001,,1990-05-13,X,12345,36-71,\n",  # 7
        "3671011405900001,A\tB,1990-05-14,M,3671010102150001,36.71.01,1980-01-01\n",  # 8
        "3671011505900001,C,15/05/1990,M,3671010102150001,36.71.01,\n",  # 9
    ]

    report = import_registry(extract(BUDI, *bad), actor=None)

    assert not report.ok
    assert Resident.objects.count() == 0
    assert not AuditEvent.objects.filter(action="identity.registry_imported").exists()
    assert [(e.line, e.column, e.code) for e in report.errors] == [
        (3, "nik", "nik_birth_date_mismatch"),
        (4, "nik", "nik_sex_mismatch"),
        (5, "nik", "nik_format"),
        (6, "nik", "duplicate_nik"),
        (7, "full_name", "required"),
        (7, "sex", "bad_sex"),
        (7, "family_card", "bad_family_card"),
        (7, "region_code", "bad_region"),
        (8, "full_name", "control_characters"),
        (8, "died_on", "death_before_birth"),
        (9, "birth_date", "bad_date"),
    ]
    assert "2" in report.errors[3].message  # names the first row with that NIK


def test_unknown_region_is_refused(tangerang):
    row = "3671011205900001,BUDI SANTOSO,1990-05-12,M,3671010102150001,36.99.01,\n"
    village = "3671014308920002,SITI RAHAYU,1992-08-03,F,3671010102150001,36.71.01.1001,\n"
    report = import_registry(extract(row, village), actor=None)
    # A kelurahan is accepted when its kecamatan is known.
    assert [(e.line, e.code) for e in report.errors] == [(2, "unknown_region")]


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("nik,full_name,birth_date,sex,family_card\n", "missing_column"),
        ("nik,full_name,birth_date,sex,family_card,region_code,kk\n", "unknown_column"),
        ("nik,nik,full_name,birth_date,sex,family_card,region_code\n", "duplicate_column"),
    ],
)
def test_bad_header_is_refused(tangerang, header, code):
    report = import_registry(extract(BUDI, header=header), actor=None)
    assert [(e.line, e.code) for e in report.errors] == [(1, code)]
    assert Resident.objects.count() == 0


def test_empty_and_unreadable_files(tangerang):
    assert [e.code for e in import_registry(extract(), actor=None).errors] == ["empty_file"]
    latin1 = io.BytesIO((HEADER + "3671011205900001,BÜDI,1990-05-12,M,1,2,\n").encode("latin-1"))
    assert [e.code for e in import_registry(latin1, actor=None).errors] == ["bad_file"]


def test_header_is_case_insensitive_and_died_on_optional(tangerang):
    header = "NIK,Full_Name,birth_date,sex,family_card,region_code\n"
    report = import_registry(extract(BUDI.rstrip(",\n") + "\n", header=header), actor=None)
    assert report.ok, report.errors
    assert report.created == 1


def test_command_prints_a_summary_or_every_problem(tangerang, tmp_path, capsys):
    good = tmp_path / "registry.csv"
    good.write_text(HEADER + BUDI + SITI, encoding="utf-8")
    call_command("import-registry".replace("-", "_"), str(good))
    assert "2 residents: 2 created, 0 updated, 0 unchanged." in capsys.readouterr().out

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + KAKEK + "1234,X,1990-01-01,M,3671010102150001,36.71.01,\n")
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_registry", str(bad))
    assert "line 3 [nik] nik_format:" in capsys.readouterr().err
    assert Resident.objects.count() == 2
