"""Whether a name typed by a visitor is the name the civil registry holds.

The registry writes names in capitals, with whatever titles the resident asked for
("DRS. H. BUDI SANTOSO, S.H., M.M."); visitors type them as they please. Both sides
are normalised the same way and must then be the same sequence of words. There is no
fuzzy step: "Budi Santosa" is not "Budi Santoso", because a one-letter difference is
also the difference between two residents, and the registry check is what stops a
visitor from borrowing someone else's NIK. A visitor refused for a spelling difference
retypes the name as on the KTP; a false accept cannot be taken back.

The rules, and the reasons for the ones that are a choice, are in docs/identity.md
("Name matching"). In short:

- case, diacritics (NFKD) and compatibility forms are folded away;
- apostrophes join ("Ma'ruf" is "Maruf"); hyphens, dashes, commas, slashes and
  whitespace separate words; a dot separates words unless the dotted word is a title
  ("H.Budi" is "H. Budi", "S.Kom" stays one title);
- titles are taken off both ends of the name (any number, in any order), never out of
  the middle, and only those in `TITLES`: abbreviated honorifics and academic or
  professional degrees. Words that are titles but also given names (Haji, Andi, Habib,
  Raden, ...) are never taken off;
- a name with nothing left but titles matches nothing, not even itself.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

# Abbreviated honorifics and religious titles. Only the abbreviations: the spelled-out
# words (Haji, Hajah, Bapak, Ibu, Tuan, Nyonya, Kyai) stay, since some of them are given
# names in their own right and a registry record may carry them as part of the name.
HONORIFICS = frozenset(
    {
        "h",  # H. = Haji
        "hj",  # Hj. = Hajah
        "kh",  # K.H. = Kyai Haji
        "ny",  # Ny. = Nyonya
        "nn",  # Nn. = Nona
        "tn",  # Tn. = Tuan
        "sdr",  # Sdr. = Saudara
        "sdri",  # Sdri. = Saudari
        "bpk",  # Bpk. = Bapak
        "bp",  # Bp. = Bapak
        "ust",  # Ust. = Ustadz
        "ustz",
        "ustd",
    }
)

# Academic and professional titles, written without their dots ("S.Kom." is "skom").
DEGREES = frozenset(
    {
        # before the name
        "dr",  # Dr. (doctorate) and dr. (physician) fold to the same word
        "drg",  # dentist
        "drh",  # veterinarian
        "drs",
        "dra",
        "ir",
        "prof",
        "apt",  # pharmacist
        # bachelor (S1), after the name
        "sag",
        "sak",
        "sds",
        "se",
        "sfarm",
        "sgz",
        "sh",
        "shum",
        "shut",
        "sip",
        "sked",
        "skep",
        "skes",
        "skm",
        "skom",
        "sp",
        "spd",
        "spdi",
        "spsi",
        "ssi",
        "ssn",
        "ssos",
        "st",
        "stp",
        "str",
        "strkes",
        # master (S2) and doctorate (S3), after the name
        "ma",
        "mag",
        "mak",
        "mba",
        "me",
        "meng",
        "mh",
        "mhum",
        "mkes",
        "mkn",
        "mkom",
        "mm",
        "mpd",
        "mph",
        "mpsi",
        "msc",
        "msi",
        "mt",
        "phd",
        "dsc",
        # diploma and professional, after the name
        "ak",
        "amd",
        "amdkeb",
        "amdkep",
        "ama",
        "ap",
        # physicians' specialist titles, after the name
        "spa",
        "spb",
        "spjp",
        "spog",
        "sppd",
        "spkk",
        "spm",
        "spn",
        "sprad",
        "spthtkl",
    }
)

TITLES = HONORIFICS | DEGREES

# Titles that, written without dots, are also words of real names ("Ma" and "Meng" are
# Chinese-Indonesian name words, "Ama" and "Mak" given names): taken off only when written
# with a dot ("M.A."), so "Lim Ma" keeps its "Ma".
DOTTED_ONLY = frozenset({"ak", "ama", "ma", "mak", "me", "meng"})

_APOSTROPHES = re.compile("['`´ʹʻʼʽˈ‘’‛′]")
_SEPARATORS = re.compile(r"[\s,;/\\\-‐‑‒–—―−]+")


class _Word(NamedTuple):
    text: str
    is_title: bool


def _fold(text: str) -> str:
    """Casefold, decompose and drop the combining marks, until nothing changes."""
    # NFKD can reveal capitals ("ℌ" is "H") and casefolding can add marks ("İ"), so one
    # pass of each is not always a fixed point; a few passes always are.
    for _ in range(4):
        decomposed = unicodedata.normalize("NFKD", text).casefold()
        folded = "".join(
            c for c in unicodedata.normalize("NFKD", decomposed) if not unicodedata.combining(c)
        )
        if folded == text:
            break
        text = folded
    return text


def _alnum(text: str) -> str:
    return "".join(c for c in text if c.isalnum())


def _is_title(word: str, *, dotted: bool) -> bool:
    return word in TITLES and (dotted or word not in DOTTED_ONLY)


def _words(name: str) -> list[_Word]:
    text = _APOSTROPHES.sub("", _fold(_APOSTROPHES.sub("", name)))
    words: list[_Word] = []
    for chunk in _SEPARATORS.split(text):
        whole = _alnum(chunk)
        if not whole:
            continue
        dotted = "." in chunk
        is_title = _is_title(whole, dotted=dotted)
        if is_title or not dotted:
            words.append(_Word(whole, is_title))
            continue
        # "H.Budi", "Dr.Siti": the dots separate words when the chunk is not one title.
        for part in chunk.split("."):
            word = _alnum(part)
            if word:
                words.append(_Word(word, _is_title(word, dotted=True)))
    return words


def normalise_name(name: str) -> str:
    """The name as compared: folded words without the titles at either end ("" if none)."""
    words = _words(name)
    start, end = 0, len(words)
    while start < end and words[start].is_title:
        start += 1
    while end > start and words[end - 1].is_title:
        end -= 1
    return " ".join(word.text for word in words[start:end])


def names_match(given: str, registered: str) -> bool:
    """Whether a typed name is the registered one: equal words after normalising."""
    normalised = normalise_name(given)
    return bool(normalised) and normalised == normalise_name(registered)
