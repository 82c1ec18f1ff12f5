"""The English catalogue: complete, compiled from the current .po, and actually served.

The .mo is committed so a fresh machine needs no gettext tools; these tests catch a .po
edited without `jejak compilemessages`, a string left untranslated or fuzzy, and a
source string added without `jejak makemessages -l en`.
"""

from __future__ import annotations

import ast
import datetime as dt
import gettext
import importlib
import io
import pkgutil
import re
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib import admin
from django.db.models import Choices
from django.utils import timezone, translation
from django.utils.text import camel_case_to_spaces
from django.utils.translation.template import templatize

import jejak
from jejak.inspections.models import Sanction
from jejak.notifications import rendering
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


# --- No raw codes, nothing left in one language (issue 18, item 13) -----------------------

# Labels that are the same words in both languages.
SAME_IN_BOTH = {
    "API",
    "Web",
    "FHIR",
    "CSV",
    "JSON",
    "PDF",
    "PCR",
    "SMS",
    "Antigen",
    "Manual",
    "PPKM",
} | {f"Level {n}" for n in range(1, 5)}
EAGER = {"gettext", "ngettext", "pgettext", "npgettext"}


def product_modules() -> Iterator[str]:
    for found in pkgutil.walk_packages(jejak.__path__, "jejak."):
        name = found.name
        if ".tests" in name or ".migrations" in name or name.startswith("jejak.devtools"):
            continue
        if name != "jejak.__main__":
            yield name


def choices_classes() -> list[type[Choices]]:
    """Every Choices class of the product (every module imported, so all are defined)."""
    for name in product_modules():
        importlib.import_module(name)
    found: list[type[Choices]] = []
    pending = list(Choices.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("jejak."):
            found.append(cls)
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def code_vocabulary() -> re.Pattern[str]:
    """Every stable code that reads like one (`status_red`, `temporary_closure` ...)."""
    codes = {v for cls in choices_classes() for v in cls.values if isinstance(v, str) and "_" in v}
    return re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, codes), key=len)[::-1]) + r")\b")


def test_every_choice_has_a_label_in_each_language() -> None:
    """Reason codes, statuses, sanctions ...: what people read is a label, never the code,
    and the English pages get English (a label without gettext_lazy, or none at all,
    reads the same in both)."""
    classes = choices_classes()
    assert len(classes) > 40  # the scan itself works
    raw, untranslated = [], []
    for cls in classes:
        for member in cls:
            with translation.override("id"):
                indonesian = str(member.label)
            with translation.override("en"):
                english = str(member.label)
            where = f"{cls.__module__}.{cls.__qualname__}.{member.name}"
            if str(member.value) in (indonesian, english):
                raw.append(where)
            if indonesian == english and indonesian not in SAME_IN_BOTH:
                untranslated.append(f"{where}: {indonesian!r}")
    assert not raw, f"labels that are their codes: {raw}"
    assert not untranslated, f"labels the same in Indonesian and English: {untranslated}"


def test_the_admins_app_names_are_translated() -> None:
    shown = {model._meta.app_config for model in admin.site._registry}
    untranslated = []
    for config in sorted(shown, key=lambda c: c.label):
        if not config.name.startswith("jejak."):
            continue  # third-party apps (axes, django-otp ...) bring their own names
        with translation.override("id"):
            indonesian = str(config.verbose_name)
        with translation.override("en"):
            english = str(config.verbose_name)
        if indonesian == english and indonesian not in SAME_IN_BOTH:
            untranslated.append(f"{config.name}: {indonesian!r}")
    assert apps.get_app_config("venues") in shown
    assert not untranslated, f"app names the same in both languages: {untranslated}"


# Model names that are the same word in both languages.
MODEL_NAMES_SAME_IN_BOTH = {"check-in"}


def test_every_models_name_is_indonesian_with_an_english_translation() -> None:
    """What admin titles, lists and delete confirmations call each model: never Django's
    default (the class name in lower-case words, "persons", "lab results"), and English
    only on English pages. Indonesian has one form for both, so the names are
    pgettext_lazy with a context per number and the English can still say "people"."""
    models = [m for m in apps.get_models() if m.__module__.startswith("jejak.")]
    assert apps.get_model("people", "Person") in models  # the scan itself works
    defaults, untranslated = [], []
    for model in models:
        default = camel_case_to_spaces(model._meta.object_name or "")
        for option, django_default in (
            ("verbose_name", default),
            ("verbose_name_plural", f"{default}s"),
        ):
            with translation.override("id"):
                indonesian = str(getattr(model._meta, option))
            with translation.override("en"):
                english = str(getattr(model._meta, option))
            where = f"{model._meta.label}.{option}"
            if indonesian == django_default:
                defaults.append(f"{where}: {indonesian!r}")
            if indonesian == english and indonesian not in MODEL_NAMES_SAME_IN_BOTH:
                untranslated.append(f"{where}: {indonesian!r}")
    assert not defaults, f"model names left to Django's English default: {defaults}"
    assert not untranslated, f"model names the same in both languages: {untranslated}"


def test_no_translation_is_evaluated_at_import_time() -> None:
    """gettext() in a module's or a class's body runs once, at import, in whatever
    language is active then; labels there must be gettext_lazy()."""
    eager_calls = []
    for path in sorted(SOURCE_DIR.rglob("*.py")):
        relative = path.relative_to(SOURCE_DIR).parts
        if {"tests", "migrations", "locale"} & set(relative):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation"
            for alias in node.names
            if alias.name in EAGER
        }
        pending: list[ast.AST] = [tree]
        while pending:
            node = pending.pop()
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue  # runs when called, in the caller's language
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in names:
                eager_calls.append(f"{'/'.join(relative)}:{node.lineno}")
            pending.extend(ast.iter_child_nodes(node))
    assert not eager_calls, f"gettext at import time (use gettext_lazy): {eager_calls}"


# What each notification is rendered with (notices.py, alerts.py, inspections and people
# services build the same keys). A template not listed renders with an empty context.
_AT = dt.datetime(2021, 11, 2, 5, 30, tzinfo=dt.UTC)
_PLACE = {"venue": "Mal Cisadane", "start": _AT, "end": _AT + dt.timedelta(hours=1)}
NOTIFICATION_CONTEXTS: dict[str, dict[str, Any]] = {
    "black_status_staff": {"venue": "Mal Cisadane", "entrance": "Pintu Utama", "at": _AT},
    "black_status_officer": {
        "venue": "Mal Cisadane",
        "entrance": "Pintu Utama",
        "at": _AT,
        "nik_masked": "3671**********01",
    },
    "venue_sanction": {
        "venue": "Mal Cisadane",
        # The lazy label, as the service passes it: rendered in the recipient's language.
        "sanction": Sanction.TEMPORARY_CLOSURE.label,
        "findings": "Pintu selatan tanpa petugas",
        "starts": _AT,
        "ends": _AT + dt.timedelta(days=2),
    },
    "dependant_request_decided": {"name": "Budi", "approved": False, "reason": "KK lain"},
    "identity_corrected": {
        "name": "Budi",
        "old_nik": "3671**********01",
        "new_nik": "3671**********02",
        "reason": "Salah ketik",
    },
    "cluster_alert": {"venue": "Mal Cisadane", "cases": 3, "start": _AT, "end": _AT},
    "exposure_close_contact": {
        "places": [_PLACE],
        "first": _PLACE,
        "until": dt.date(2021, 11, 16),
        "district": "Cipondoh",
        "for_name": "Budi",
    },
    "exposure_informational": {"places": [_PLACE], "first": _PLACE, "district": "Cipondoh"},
    "exposure_close_contact_multi": {
        "cases": 2,
        "venues": 2,
        "places": [_PLACE, _PLACE],
        "more": 1,
        "last": _PLACE,
        "until": dt.date(2021, 11, 16),
        "district": "Cipondoh",
        "for_name": "Budi",
    },
    "exposure_close_contact_update": {
        "places": [_PLACE],
        "last": _PLACE,
        "until": dt.date(2021, 11, 18),
        "for_name": "Budi",
    },
}


def notification_templates() -> dict[str, set[str]]:
    """Every message the outbox can send: template name -> its channels."""
    found: dict[str, set[str]] = {}
    for path in SOURCE_DIR.glob("*/templates/notifications/messages/*.txt"):
        template, channel, _txt = path.name.rsplit(".", 2)
        if channel != "subject":
            found.setdefault(template, set()).add(channel)
    return found


def test_every_notification_reads_in_each_language_without_codes() -> None:
    templates = notification_templates()
    assert set(NOTIFICATION_CONTEXTS) <= set(templates)  # the scan itself works
    codes = code_vocabulary()
    for template, channels in sorted(templates.items()):
        for channel in sorted(channels):
            texts = {}
            for language in ("id", "en"):
                with translation.override(language), timezone.override("Asia/Jakarta"):
                    context = NOTIFICATION_CONTEXTS.get(template, {})
                    subject, body = rendering.render(template, channel, context)
                text = f"{subject}\n{body}"
                where = f"{template}.{channel} ({language})"
                assert body.strip(), f"{where} is empty"
                assert "{" not in text, f"{where} shows template syntax: {text}"
                assert not codes.findall(text), f"{where} shows codes: {codes.findall(text)}"
                texts[language] = text
            assert texts["id"] != texts["en"], f"{template}.{channel} is not translated"


def test_a_notification_names_the_sanction_in_the_recipients_language() -> None:
    context = NOTIFICATION_CONTEXTS["venue_sanction"]
    with translation.override("id"):
        indonesian = rendering.render("venue_sanction", "inapp", context)
    with translation.override("en"):
        english = rendering.render("venue_sanction", "inapp", context)
    assert "Penutupan sementara" in indonesian[0] and "Penutupan sementara" in indonesian[1]
    assert "Temporary closure" in english[0] and "Temporary closure" in english[1]
