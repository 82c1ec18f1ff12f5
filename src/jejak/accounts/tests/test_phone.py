"""Every spelling of an Indonesian mobile number becomes one E.164 string; nothing else does."""

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from jejak.core.crypto import DecryptionError
from jejak.core.phone import (
    PhoneInvalid,
    mask_phone,
    normalize_phone,
    open_phone,
    phone_index,
    seal_phone,
)

E164 = re.compile(r"^\+628\d{8,11}$")

national_numbers = st.from_regex(r"8[0-9]{8,11}", fullmatch=True)
separators = st.sampled_from(["", " ", "-", ".", "  ", " - "])


@st.composite
def spellings(draw: st.DrawFn, national: str) -> str:
    """One way a person might type `national`: a prefix, then digits in separated groups."""
    prefix = draw(st.sampled_from(["0", "62", "+62", "+62 ", "", "0062", "+62 0", "(+62) "]))
    digits, groups = national, []
    while digits:
        size = draw(st.integers(min_value=1, max_value=5))
        groups.append(digits[:size])
        digits = digits[size:]
    body = "".join(group + draw(separators) for group in groups).rstrip(" -.")
    padding = draw(st.sampled_from(["", " ", "\t"]))
    return padding + prefix + body + padding


@given(st.data(), national_numbers)
def test_every_spelling_of_a_number_normalises_the_same(data, national):
    first = data.draw(spellings(national))
    second = data.draw(spellings(national))
    assert normalize_phone(first) == normalize_phone(second) == "+62" + national


@pytest.mark.parametrize(
    "spelling",
    [
        "0812-3456-7890",
        "081234567890",
        "62812 3456 7890",
        "+62 812-3456-7890",
        "+6281234567890",
        "812 3456 7890",
        "(0812) 3456 7890",
        "+62 (0)812 3456 7890",
        "0062 812 3456 7890",
    ],
)
def test_common_spellings(spelling):
    assert normalize_phone(spelling) == "+6281234567890"


@pytest.mark.parametrize(
    "spelling",
    [
        "",
        "+",
        "0812",  # too short
        "081234567",  # 8 national digits, one too few
        "08123456789012",  # 13 national digits, one too many
        "021-555-1234",  # a Jakarta landline: no SMS
        "+65 8123 4567",  # Singapore
        "+1 415 555 0100",
        "+0812 3456 7890",
        "0812-3456-789O",  # a letter O
        "０８１２３４５６７８９０",  # full-width digits
        "٠٨١٢٣٤٥٦٧٨٩٠",  # Arabic-Indic digits
        "0812+3456+7890",
        "tel:+6281234567890",
        "0" * 100,
    ],
)
def test_non_numbers_and_foreign_numbers_are_refused(spelling):
    with pytest.raises(PhoneInvalid) as caught:
        normalize_phone(spelling)
    assert caught.value.code == "phone_invalid"


def test_the_error_is_a_value_error():
    assert issubclass(PhoneInvalid, ValueError)


@given(st.text(max_size=60))
@example("+62")
@example("0" * 41)
@example("62 0 8")
def test_garbage_only_ever_raises_the_typed_error(text):
    try:
        number = normalize_phone(text)
    except PhoneInvalid:
        return
    assert E164.match(number)


@given(st.text(alphabet="0123456789+-. ()", max_size=30))
def test_output_is_always_e164_mobile(text):
    try:
        number = normalize_phone(text)
    except PhoneInvalid:
        return
    assert E164.match(number)
    assert normalize_phone(number) == number  # idempotent


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+6281234567890", "+62812****7890"),
        ("+62812345678", "+62812**5678"),
        ("+62812345678901", "+62812*****8901"),
    ],
)
def test_masking_keeps_the_operator_prefix_and_last_four(number, masked):
    assert mask_phone(number) == masked


def test_index_is_keyed_and_stable():
    index = phone_index("+6281234567890")
    assert index == phone_index("+6281234567890")
    assert index != phone_index("+6281234567891")
    assert "81234567890" not in index


def test_sealed_number_opens_only_under_its_own_index():
    index = phone_index("+6281234567890")
    blob = seal_phone("+6281234567890", index=index)
    assert b"81234567890" not in blob
    assert open_phone(index=index, blob=blob) == "+6281234567890"
    with pytest.raises(DecryptionError):
        open_phone(index=phone_index("+6281234567891"), blob=blob)
