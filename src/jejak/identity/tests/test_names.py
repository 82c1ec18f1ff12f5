"""Name matching: what the registry check accepts as the registered name, and what it refuses."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from jejak.identity.names import DOTTED_ONLY, TITLES, names_match, normalise_name

REGISTERED = "DRS. H. BUDI SANTOSO, S.H., M.M."


@pytest.mark.parametrize(
    ("typed", "registered"),
    [
        ("Budi Santoso", "BUDI SANTOSO"),
        ("budi santoso", "Budi Santoso"),
        ("  Budi \t  Santoso ", "Budi Santoso"),
        ("Budi Santoso", REGISTERED),
        ("Drs. Budi Santoso", "Budi Santoso"),
        ("Dr. Budi Santoso", "Budi Santoso"),
        ("dr. Budi Santoso, Sp.PD", "Budi Santoso"),
        ("Prof. Dr. Ir. Budi Santoso", "Budi Santoso"),
        ("Budi Santoso, S.Kom., M.M.", "Budi Santoso"),
        ("Budi Santoso, S.Kom, M.M", "Budi Santoso"),
        ("Budi Santoso,S.Kom.,M.M.", "Budi Santoso"),
        ("Budi Santoso SKom MM", "Budi Santoso"),
        ("Budi Santoso, Ph.D.", "Budi Santoso"),
        ("Budi Santoso, A.Md.", "Budi Santoso"),
        ("Budi Santoso S.T., M.T.", "Budi Santoso"),
        ("Siti Aminah, S.Pd., M.Pd.", "Siti Aminah"),
        ("Siti Aminah, S.E., M.Si.", "SITI AMINAH"),
        ("Hj. Siti Aminah", "Siti Aminah"),
        ("Hj.Siti Aminah", "Siti Aminah"),
        ("H. Agus Salim", "Agus Salim"),
        ("K.H. Ma'ruf Amin", "MA'RUF AMIN"),
        ("Ny. Siti Aminah", "Siti Aminah"),
        ("Tn. Budi Santoso", "Budi Santoso"),
        ("Sdr. Budi Santoso", "Budi Santoso"),
        ("Bpk. Budi Santoso", "Budi Santoso"),
        ("Lim Ma, M.A.", "Lim Ma"),
        # punctuation
        ("Maruf Amin", "Ma'ruf Amin"),
        ("Ma’ruf Amin", "Ma'ruf Amin"),
        ("Siti-Aminah", "Siti Aminah"),
        ("Siti Aminah.", "Siti Aminah"),
        # diacritics and compatibility forms
        ("Jose Ramos", "José Ramós"),
        ("Andre Mülyono", "ANDRE MULYONO"),
        ("Ｂｕｄｉ Santoso", "Budi Santoso"),
    ],
)
def test_typed_name_is_the_registered_one(typed: str, registered: str) -> None:
    assert names_match(typed, registered)
    assert names_match(registered, typed)


@pytest.mark.parametrize(
    ("typed", "registered"),
    [
        # one letter apart is another resident: no edit distance
        ("Budi Santosa", "Budi Santoso"),
        ("Mohammad Yusuf", "Muhammad Yusuf"),
        # a word missing or added
        ("Budi", "Budi Santoso"),
        ("Budi Santoso Wibowo", "Budi Santoso"),
        # words in another order are another name
        ("Santoso Budi", "Budi Santoso"),
        ("Santoso, Budi", "Budi Santoso"),
        # words split or joined differently
        ("Nur Haliza", "Nurhaliza"),
        # an initial is not the word it abbreviates
        ("M. Yusuf", "Muhammad Yusuf"),
        # words that are titles and also names are part of the name
        ("Haji Agus Salim", "Agus Salim"),
        ("Andi Budi", "Budi"),
        ("Habib Ahmad", "Ahmad"),
        ("Lim Ma", "Lim"),
        # titles are taken off the ends only, never out of the middle
        ("Budi S.H. Santoso", "Budi Santoso"),
    ],
)
def test_a_different_name_is_refused(typed: str, registered: str) -> None:
    assert not names_match(typed, registered)
    assert not names_match(registered, typed)


@pytest.mark.parametrize("name", ["", "   ", "Dr.", "Prof. Dr. H.", "S.Kom., M.M.", "M.A.", ".,-'"])
def test_a_name_of_only_titles_or_nothing_matches_nothing(name: str) -> None:
    assert normalise_name(name) == ""
    assert not names_match(name, name)
    assert not names_match(name, "Budi Santoso")
    assert not names_match("Budi Santoso", name)


@pytest.mark.parametrize("name", ["Haji", "Andi", "Ma", "Ibu"])
def test_a_title_like_word_alone_is_a_name(name: str) -> None:
    assert normalise_name(name) == name.casefold()
    assert names_match(name, name.upper())


def test_registry_spelling_normalises_to_plain_words() -> None:
    assert normalise_name(REGISTERED) == "budi santoso"
    assert normalise_name("Prof. Dr. Ir. Budi Santoso, S.Kom., M.M.") == "budi santoso"


PREFIXES = ["Dr.", "dr.", "Drs.", "Dra.", "Ir.", "Prof.", "H.", "Hj.", "K.H.", "Ny.", "Tn."]
SUFFIXES = ["S.Kom.", "S.H.", "S.E.", "S.Pd.", "S.T.", "M.M.", "M.Kom.", "M.A.", "Ph.D.", "A.Md."]
WORDS = ["budi", "santoso", "santosa", "siti", "aminah", "andi", "haji", "ma", "lim", "nur"]

words = st.lists(st.sampled_from(WORDS) | st.text("abcdehimrs", min_size=1, max_size=5), max_size=4)


def _spell(ws: list[str], *, upper: bool) -> str:
    name = " ".join(ws)
    return name.upper() if upper else name.title()


@given(st.text())
@example("ℌ. Budi")
@example("İbrahim")
@example("H.M.A. Budi")
@example("a.ma")
def test_normalising_twice_changes_nothing(name: str) -> None:
    once = normalise_name(name)
    assert normalise_name(once) == once


@given(
    given_words=words,
    registered_words=words,
    prefixes=st.lists(st.sampled_from(PREFIXES), max_size=3),
    suffixes=st.lists(st.sampled_from(SUFFIXES), max_size=3),
    comma=st.booleans(),
    upper=st.booleans(),
)
def test_titles_never_change_the_match(
    given_words: list[str],
    registered_words: list[str],
    prefixes: list[str],
    suffixes: list[str],
    comma: bool,
    upper: bool,
) -> None:
    plain = _spell(given_words, upper=False)
    registered = _spell(registered_words, upper=upper)
    separator = ", " if comma else " "
    titled = separator.join([" ".join([*prefixes, plain]).strip(), *suffixes])

    assert names_match(titled, registered) == names_match(plain, registered)
    assert names_match(registered, titled) == names_match(registered, plain)


@given(given_words=words, upper=st.booleans())
def test_a_name_matches_its_own_registry_spelling_unless_empty(
    given_words: list[str], upper: bool
) -> None:
    typed = _spell(given_words, upper=False)
    assert names_match(typed, _spell(given_words, upper=upper)) == bool(normalise_name(typed))


def test_dotted_only_titles_are_titles() -> None:
    assert DOTTED_ONLY <= TITLES
