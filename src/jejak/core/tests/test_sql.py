"""core/sql.py's list parameter (`many`): any values come back as they went in."""

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from jejak.core import sql


def _round_trip(values, element_type):
    if connection.vendor == "postgresql":
        statement = f"SELECT unnest(%s::{element_type}[])"
    else:
        statement = "SELECT value FROM json_each(%s)"
    return [row[0] for row in sql.fetchall(statement, [sql.many(values)])]


# Any text a database holds (no NUL, no lone surrogates): braces, quotes, commas included.
texts = st.lists(
    st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"])),
    max_size=8,
)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None)
@given(values=texts)
def test_texts_come_back_as_sent(values):
    assert _round_trip(values, "text") == values


@pytest.mark.django_db
@settings(max_examples=30, deadline=None)
@given(values=st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), max_size=8))
def test_integers_come_back_as_sent(values):
    assert _round_trip(values, "bigint") == values


@pytest.mark.django_db
def test_the_words_null_and_empty_stay_text():
    assert _round_trip(["NULL", "", " a ", "{}"], "text") == ["NULL", "", " a ", "{}"]


def test_values_without_an_element_form_are_refused():
    with pytest.raises(TypeError):
        sql.many([None], "postgresql")
