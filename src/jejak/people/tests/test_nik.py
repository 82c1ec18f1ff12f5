"""NIK structure: each reason code, the century rule, and properties over any input."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from jejak.people.errors import Reason
from jejak.people.masking import mask_nik
from jejak.people.nik import NikError, NikInfo, parse_nik
from jejak.people.tests.factories import make_nik

pytestmark = pytest.mark.usefixtures("city", "other_city")

HYPOTHESIS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def reason_of(nik: object, **kwargs: object) -> str:
    with pytest.raises(NikError) as caught:
        parse_nik(nik, **kwargs)  # type: ignore[arg-type]
    return caught.value.code


def years_ago(years: int) -> dt.date:
    today = timezone.localdate()
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def test_parts_of_a_man_s_nik():
    assert parse_nik("3671011205900001") == NikInfo(
        province_code="36",
        regency_code="36.71",
        district_code="36.71.01",
        birth_date=dt.date(1990, 5, 12),
        sex="M",
        serial="0001",
    )


def test_a_woman_s_day_has_forty_added():
    info = parse_nik("3671014308920002", birth_date=dt.date(1992, 8, 3), sex="F")
    assert (info.birth_date, info.sex) == (dt.date(1992, 8, 3), "F")


@pytest.mark.parametrize(
    "nik",
    [
        "",
        "367101120590000",
        "36710112059000011",
        "36710112059000a1",
        " 3671011205900001",
        "3671011205900001\n",
        "３６７１０１１２０５９０００１",
        "3671-0112-0590-0001",
    ],
)
def test_anything_but_sixteen_ascii_digits_is_nik_format(nik):
    assert reason_of(nik) == Reason.NIK_FORMAT


def test_a_non_string_is_nik_format_too():
    assert reason_of(3671011205900001) == Reason.NIK_FORMAT
    assert reason_of(None) == Reason.NIK_FORMAT


@pytest.mark.parametrize(
    "nik",
    ["9971011205900001", "3699011205900001", "7471011205900001"],
    ids=["unknown province", "unknown regency", "regency of another province"],
)
def test_region_prefix_must_be_a_known_province_and_regency(nik):
    assert reason_of(nik) == Reason.NIK_REGION_UNKNOWN


def test_another_loaded_city_is_known():
    assert parse_nik("3674011205900001").regency_code == "36.74"


@pytest.mark.parametrize(
    "nik",
    [
        "3671010005900001",  # day 0
        "3671013205900001",  # day 32
        "3671014005900001",  # day 40: neither a man's nor a woman's day
        "3671017205900001",  # day 72 = 32 + 40
        "3671011213900001",  # month 13
        "3671011200900001",  # month 0
        "3671013102900001",  # 31 February
        "3671012902010001",  # 29 February 2001 / 1901
    ],
)
def test_impossible_birth_dates(nik):
    assert reason_of(nik) == Reason.NIK_BIRTH_DATE_INVALID


def test_serial_0000_is_invalid():
    assert reason_of("3671011205900000") == Reason.NIK_SERIAL_INVALID


def test_birth_date_must_match_the_nik():
    assert (
        reason_of("3671011205900001", birth_date=dt.date(1990, 5, 13))
        == Reason.NIK_BIRTH_DATE_MISMATCH
    )
    assert (
        reason_of("3671011205900001", birth_date=dt.date(2090, 5, 12))
        == Reason.NIK_BIRTH_DATE_MISMATCH
    )


def test_sex_must_match_the_nik():
    assert reason_of("3671011205900001", sex="F") == Reason.NIK_SEX_MISMATCH
    assert reason_of("3671014308920002", sex="M") == Reason.NIK_SEX_MISMATCH


def test_century_makes_the_person_at_most_110():
    today = timezone.localdate()
    next_year = dt.date(today.year + 1, 1, 1)
    # Born "next January" can only mean a century ago.
    assert parse_nik(make_nik(born=next_year)).birth_date == next_year.replace(
        year=next_year.year - 100
    )


def test_a_given_birth_date_settles_an_ambiguous_century():
    # Born 105 years ago and 5 years ago share the digits; both are 0-110 years old.
    old = years_ago(105)
    nik = make_nik(born=old)
    assert parse_nik(nik).birth_date == years_ago(5)
    assert parse_nik(nik, birth_date=old).birth_date == old


def test_older_than_110_is_a_mismatch():
    too_old = years_ago(111)
    assert reason_of(make_nik(born=too_old), birth_date=too_old) == Reason.NIK_BIRTH_DATE_MISMATCH


def test_messages_are_indonesian_sentences():
    with pytest.raises(NikError) as caught:
        parse_nik("123")
    assert caught.value.message == "NIK harus terdiri dari 16 digit angka."
    assert caught.value.http_status == 400


def test_mask_shows_first_and_last_four():
    assert mask_nik("3671011205900001") == "3671********0001"


regencies = st.sampled_from(["36.71", "36.74"])


@HYPOTHESIS
@given(
    regency=regencies,
    district=st.integers(0, 99),
    born=st.dates(min_value=years_ago(110), max_value=timezone.localdate()),
    sex=st.sampled_from(["M", "F"]),
    serial=st.integers(1, 9999),
)
def test_any_valid_nik_parses_back_to_its_parts(regency, district, born, sex, serial):
    nik = make_nik(born=born, sex=sex, regency=regency, district=district, serial=serial)
    expected = NikInfo(
        province_code=regency[:2],
        regency_code=regency,
        district_code=f"{regency}.{district:02d}",
        birth_date=born,
        sex=sex,
        serial=f"{serial:04d}",
    )
    assert parse_nik(nik, birth_date=born, sex=sex) == expected
    # Without a birth date, the youngest reading of the two-digit year wins.
    guessed = parse_nik(nik).birth_date
    assert guessed == born if born > years_ago(100) else guessed.year == born.year + 100


@HYPOTHESIS
@given(
    st.one_of(
        st.text(),
        st.text(alphabet="0123456789", max_size=40).filter(lambda s: len(s) != 16),
        st.text(min_size=16, max_size=16).filter(lambda s: not s.isascii() or not s.isdigit()),
    )
)
def test_anything_not_sixteen_digits_raises_nik_format(text):
    assume(not re.fullmatch(r"[0-9]{16}", text))
    assert reason_of(text) == Reason.NIK_FORMAT


@HYPOTHESIS
@given(nik=st.from_regex(r"\A36(71|74|00|99)[0-9]{12}\Z"))
def test_sixteen_digits_parse_or_raise_nik_error_only(nik):
    try:
        info = parse_nik(nik, birth_date=dt.date(1990, 5, 12), sex="M")
    except NikError as exc:
        assert exc.code in Reason.values
    else:
        assert info.birth_date == dt.date(1990, 5, 12)
