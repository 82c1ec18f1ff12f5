"""The English catalogue: complete, compiled from the current .po, and actually served.

The .mo is committed so a fresh machine needs no gettext tools; these tests catch a .po
edited without `jejak compilemessages`, a string left untranslated or fuzzy, and a
source string added without `jejak makemessages -l en`.
"""

from __future__ import annotations

import ast
import gettext
import io
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import translation
from django.utils.translation.template import templatize

from jejak.venues.models import VenueStatus

SOURCE_DIR = Path(django_settings.BASE_DIR)
MESSAGES_DIR = Path(django_settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES"
PO_PATH = MESSAGES_DIR / "django.po"
MO_PATH = MESSAGES_DIR / "django.mo"

# What `makemessages` extracts for the "django" domain (its xgettext keywords).
SINGULAR = {"_", "gettext", "gettext_lazy", "gettext_noop"}
PLURAL = {"ngettext", "ngettext_lazy"}
CONTEXT = {"pgettext", "pgettext_lazy"}
CONTEXT_PLURAL = {"npgettext", "npgettext_lazy"}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> str:
        # How a .mo file (and so GNUTranslations) names a message with a context.
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid


def read_po(path: Path) -> list[Entry]:
    """Every live entry of a .po file, header first (obsolete `#~` entries are skipped)."""
    entries: list[Entry] = []
    entry, target = Entry(), None
    started = False

    def finish() -> None:
        nonlocal entry, target, started
        if started:
            entries.append(entry)
        entry, target, started = Entry(), None, False

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
        elif line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            assert target is not None, f"continuation line without a keyword: {raw!r}"
            setattr_or_index(entry, target, ast.literal_eval(line))
        else:
            keyword, _, literal = line.partition(" ")
            started = True
            target = keyword
            if keyword.startswith("msgstr["):
                entry.msgstr[int(keyword[7:-1])] = ""
            elif keyword == "msgstr":
                entry.msgstr[0] = ""
            else:
                setattr(entry, keyword, "")
            setattr_or_index(entry, target, ast.literal_eval(literal))
    finish()
    return entries


def setattr_or_index(entry: Entry, keyword: str, text: str) -> None:
    if keyword == "msgstr":
        entry.msgstr[0] += text
    elif keyword.startswith("msgstr["):
        entry.msgstr[int(keyword[7:-1])] += text
    elif keyword in {"msgid", "msgid_plural", "msgctxt"}:
        setattr(entry, keyword, (getattr(entry, keyword) or "") + text)
    else:
        raise AssertionError(f"unknown .po keyword {keyword!r}")


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    entries = read_po(PO_PATH)
    assert entries, f"{PO_PATH} has no entries"
    assert entries[0].msgid == "", "the .po should start with its header"
    return entries[1:]


@pytest.fixture(scope="module")
def mo() -> gettext.GNUTranslations:
    with MO_PATH.open("rb") as handle:
        return gettext.GNUTranslations(handle)


def test_header_declares_english_plurals() -> None:
    header = read_po(PO_PATH)[0]
    assert "fuzzy" not in header.flags
    assert "Language: en\n" in header.msgstr[0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header.msgstr[0]


def test_every_message_is_translated(po_entries: list[Entry]) -> None:
    untranslated = [
        e.msgid
        for e in po_entries
        if not all(e.msgstr.values()) or len(e.msgstr) != (2 if e.msgid_plural else 1)
    ]
    fuzzy = [e.msgid for e in po_entries if "fuzzy" in e.flags]
    assert not untranslated, f"empty msgstr: {untranslated}"
    assert not fuzzy, f"fuzzy (check, then drop the flag): {fuzzy}"


def test_translations_keep_the_placeholders(po_entries: list[Entry]) -> None:
    for entry in po_entries:
        expected = set(PLACEHOLDER.findall(entry.msgid))
        for form, text in entry.msgstr.items():
            assert set(PLACEHOLDER.findall(text)) == expected, (entry.msgid, form, text)


def test_mo_is_compiled_from_the_current_po(
    po_entries: list[Entry], mo: gettext.GNUTranslations
) -> None:
    # _catalog maps msgid -> text, and (msgid, form) -> text for plurals; "" is the header.
    compiled = {key[0] if isinstance(key, tuple) else key for key in mo._catalog} - {""}
    assert len(compiled) == len(po_entries), "run `jejak compilemessages`"
    assert compiled == {e.key for e in po_entries}, "run `jejak compilemessages`"
    for entry in po_entries:
        if entry.msgid_plural is None:
            assert mo.gettext(entry.key) == entry.msgstr[0], entry.msgid
        else:
            assert mo.ngettext(entry.key, entry.msgid_plural, 1) == entry.msgstr[0]
            assert mo.ngettext(entry.key, entry.msgid_plural, 2) == entry.msgstr[1]


def source_msgids() -> set[str]:
    """The keys `makemessages` would extract from Python files and templates."""
    found: set[str] = set()
    for path in sorted(SOURCE_DIR.rglob("*")):
        relative = path.relative_to(SOURCE_DIR).parts
        if "tests" in relative or "locale" in relative or not path.is_file():
            continue
        if path.suffix == ".py":
            found |= python_msgids(path.read_text(encoding="utf-8"))
        elif path.suffix in {".html", ".txt"}:
            # Django's own template-to-gettext conversion, as makemessages uses it.
            code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
            found |= templatized_msgids(code)
    return found


def message_key(name: str, args: list[str]) -> str | None:
    if name in SINGULAR | PLURAL and args:
        return args[0]
    if name in CONTEXT | CONTEXT_PLURAL and len(args) >= 2:
        return f"{args[0]}\x04{args[1]}"
    return None


def python_msgids(source: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        args = []
        for arg in node.args:
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                break
            args.append(arg.value)
        key = message_key(name, args)
        if key is not None:
            found.add(key)
    return found


def templatized_msgids(code: str) -> set[str]:
    # The output is Python-like calls amid blanked-out text: read it token by token.
    # Its indentation is the template's HTML indentation, which need not nest the way
    # Python's does (tokenize then raises IndentationError); xgettext's Python lexer
    # ignores indentation, so drop it. templatize() writes every call on one line (the
    # strings are repr()s), so no string literal spans the stripped line starts.
    code = "\n".join(line.lstrip(" \t\f") for line in code.splitlines())
    found = set()
    tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    for i, token in enumerate(tokens[:-1]):
        if token.type != tokenize.NAME or tokens[i + 1].string != "(":
            continue
        args = []
        for following in tokens[i + 2 :]:
            if following.type == tokenize.STRING:
                args.append(ast.literal_eval(following.string))
            elif following.string != ",":
                break
        key = message_key(token.string, args)
        if key is not None:
            found.add(key)
    return found


def test_scan_reads_templates_whose_indentation_is_not_python() -> None:
    # An unindent to a level never opened is an IndentationError for tokenize.
    template = '{% load i18n %}<div>\n    <p>\n  {% translate "Satu" %}\n</p></div>'
    code = templatize(template, origin="indented.html")
    assert templatized_msgids(code) == {"Satu"}


def test_catalogue_covers_every_source_string(po_entries: list[Entry]) -> None:
    in_source = source_msgids()
    assert "Masuk petugas" in in_source  # the scan itself works
    missing = sorted(in_source - {e.key for e in po_entries})
    assert not missing, f"not in the .po; run `jejak makemessages -l en`: {missing}"


def test_lazy_labels_follow_the_active_language() -> None:
    with translation.override("en"):
        assert str(VenueStatus.ISSUED.label) == "Code issued"
    with translation.override("id"):
        assert str(VenueStatus.ISSUED.label) == "Kode terbit"


def test_login_page_is_indonesian_by_default(client, settings) -> None:
    page = client.get("/login/").content.decode()
    assert '<html lang="id">' in page
    assert "Masuk petugas" in page
    assert "Sign in" not in page


def test_english_browser_alone_still_gets_indonesian(client) -> None:
    # Only the switch changes the language (jejak.core.middleware.LanguageMiddleware).
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Masuk petugas" in page
    assert "Sign in" not in page


def test_login_page_in_english_with_the_language_cookie(client, settings) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/login/").content.decode()
    assert '<html lang="en">' in page
    assert "Officer sign-in" in page
    assert "Sign in" in page
    assert "Masuk" not in page


def test_header_switch_posts_to_set_language_and_switches(client, settings) -> None:
    page = client.get("/login/").content.decode()
    assert 'action="/i18n/setlang/"' in page
    assert 'name="language" value="en"' in page

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/login/").content.decode()
    assert "Sign in" in page
    assert 'name="language" value="id"' in page  # and the switch now offers the way back

    client.post("/i18n/setlang/", {"language": "id", "next": "/login/"})
    assert "Masuk petugas" in client.get("/login/").content.decode()
